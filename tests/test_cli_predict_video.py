"""``sapiens2 predict video``: an annotated video OpenCV reads back, JSON Lines with times and IDs, atomic output."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

import sapiens2
import sapiens2.cli.predict_video as predict_video
from sapiens2.cli.main import main

from fixture_paths import IMAGES, case_checkpoint

VTEST = str(IMAGES / "vtest.avi")  # 768 x 576, 10 frames/s
POSE = ["-c", str(case_checkpoint("task_pose")), "--input-size", "128x96"]
BOXES = [[230.0, 180.0, 310.0, 340.0], [600.0, 150.0, 720.0, 350.0]]


def read_video(path: Path) -> tuple[int, float, tuple[int, int], int]:
    """(frames OpenCV decodes, frame rate, (width, height), frame count the container declares)."""
    capture = cv2.VideoCapture(str(path))
    decoded = 0
    while capture.read()[0]:
        decoded += 1
    facts = decoded, capture.get(cv2.CAP_PROP_FPS), (int(capture.get(3)), int(capture.get(4))), int(capture.get(7))
    capture.release()
    return facts


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_pose_video_gives_an_annotated_video_and_json_lines_with_times_and_ids(tmp_path: Path) -> None:
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps(BOXES))
    out = tmp_path / "out"
    assert main(["predict", VTEST, *POSE, "--boxes", str(boxes), "--max-frames", "4", "--batch", "3", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["vtest_pose.jsonl", "vtest_pose.mp4"]
    decoded, fps, size, _ = read_video(out / "vtest_pose.mp4")
    assert (decoded, fps, size) == (4, 10.0, (768, 576))
    lines = read_jsonl(out / "vtest_pose.jsonl")
    assert [line["frame"] for line in lines] == list(range(4))
    assert [line["timestamp_s"] for line in lines] == pytest.approx([0.0, 0.1, 0.2, 0.3])
    assert all([i["track_id"] for i in line["instances"]] == [1, 2] for line in lines)
    assert lines[0]["instances"][0]["bbox"] == BOXES[0] and "keypoint_names" not in lines[0]


def test_every_nth_frame_keeps_real_time_and_raw_keypoints_equal_single_frame_predict(tmp_path: Path) -> None:
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps(BOXES))
    # --batch 1 on both sides: crops batched differently may tip the random fixture's flat heatmaps
    args = ["predict", VTEST, *POSE, "--boxes", str(boxes), "--every", "3", "--max-frames", "3", "--batch", "1"]
    assert main([*args, "--no-smoothing", "--out", str(tmp_path / "raw")]) == 0
    assert main([*args, "--out", str(tmp_path / "smooth")]) == 0
    raw, smooth = read_jsonl(tmp_path / "raw" / "vtest_pose.jsonl"), read_jsonl(tmp_path / "smooth" / "vtest_pose.jsonl")
    assert [line["frame"] for line in raw] == [0, 3, 6]
    assert [line["timestamp_s"] for line in raw] == pytest.approx([0.0, 0.3, 0.6])
    assert read_video(tmp_path / "raw" / "vtest_pose.mp4")[:2] == (3, pytest.approx(10 / 3, rel=1e-3))
    # Raw keypoints are exactly single-frame predict's on the same frame and boxes.
    predictor = sapiens2.load(case_checkpoint("task_pose"), input_size=(128, 96), batch_size=1)
    capture = cv2.VideoCapture(VTEST)
    capture.set(cv2.CAP_PROP_POS_FRAMES, 6)
    reference = predictor.predict(capture.read()[1], boxes=np.array(BOXES), color_order="bgr")
    raw_points = np.array([i["keypoints"] for i in raw[2]["instances"]])
    assert np.abs(raw_points - reference.keypoints).max() < 1e-3
    # Smoothing passes a track's first frame unchanged, then moves later frames towards the past.
    first = [np.array([i["keypoints"] for i in lines[0]["instances"]]) for lines in (raw, smooth)]
    assert np.array_equal(first[0], first[1])
    assert not np.allclose(raw_points, np.array([i["keypoints"] for i in smooth[2]["instances"]]))


def test_an_interrupted_run_leaves_a_playable_video_and_parsable_lines_of_the_frames_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = predict_video.predict_frames

    def interrupted(*args, **kwargs):
        for done, item in enumerate(real(*args, **kwargs)):
            if done == 3:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(predict_video, "predict_frames", interrupted)
    out = tmp_path / "out"
    assert main(["predict", VTEST, *POSE, "--max-frames", "5", "--batch", "2", "--out", str(out)]) != 0
    assert sorted(p.name for p in out.iterdir()) == ["vtest_pose.jsonl", "vtest_pose.mp4"]  # no temporaries left
    assert read_video(out / "vtest_pose.mp4")[0] == 3
    assert [line["frame"] for line in read_jsonl(out / "vtest_pose.jsonl")] == [0, 1, 2]


def test_dense_video_writes_per_frame_arrays_on_request(tmp_path: Path) -> None:
    seg = ["-c", str(case_checkpoint("task_seg")), "--input-size", "128x96"]
    assert main(["predict", VTEST, *seg, "--max-frames", "2", "--save-arrays", "--out", str(tmp_path)]) == 0
    arrays = sorted(p.name for p in (tmp_path / "vtest_seg_arrays").iterdir())
    assert arrays and {name.split("_")[0] for name in arrays} == {"000000", "000001"}
    assert np.load(tmp_path / "vtest_seg_arrays" / arrays[0]).shape[:2] == (576, 768)
    assert read_video(tmp_path / "vtest_seg.mp4")[:3] == (2, 10.0, (768, 576))


def test_bad_every_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["predict", VTEST, *POSE, "--every", "0", "--out", str(tmp_path / "out")]) == 2
    assert "--every must be positive" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
