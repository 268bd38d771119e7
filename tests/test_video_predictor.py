"""``Predictor.predict_video``: batched frames give the single-frame results, with IDs, times and smoothing."""

from __future__ import annotations

import sys

import subprocess

import json

import numpy as np
import pytest

import sapiens2
from sapiens2.cli import predict_video
from sapiens2.processing import iter_video
from sapiens2.results import PoseResult

from fixture_paths import IMAGES, case_checkpoint

VTEST = str(IMAGES / "vtest.avi")
BOXES = np.array([[230.0, 180.0, 310.0, 340.0], [600.0, 150.0, 720.0, 350.0]], np.float32)


@pytest.fixture(scope="module")
def pose() -> sapiens2.Predictor:
    return sapiens2.load(case_checkpoint("task_pose"), input_size=(128, 96), batch_size=3)


def test_batched_raw_video_results_equal_single_frame_predict() -> None:
    # 256x192: at smaller sizes the random fixture's flat heatmaps have near-ties that a different
    # batch composition (6 crops vs 2) can tip to a neighbouring pixel.
    pose = sapiens2.load(case_checkpoint("task_pose"), input_size=(256, 192), batch_size=3)
    results = list(pose.predict_video(VTEST, max_frames=3, boxes=BOXES, smoothing=False))
    singles = [pose.predict(frame, boxes=BOXES, color_order="bgr") for frame in iter_video(VTEST, 3)]
    assert [r.meta["frame"] for r in results] == [0, 1, 2]
    assert [r.meta["timestamp_s"] for r in results] == pytest.approx([0.0, 0.1, 0.2])
    for result, single in zip(results, singles):
        assert result.track_ids.tolist() == [1, 2]
        np.testing.assert_allclose(result.keypoints, single.keypoints, atol=1e-3)


def test_smoothed_keypoints_start_raw_and_stay_between_past_and_present(pose: sapiens2.Predictor) -> None:
    raw = list(pose.predict_video(VTEST, max_frames=3, boxes=BOXES, smoothing=False))
    smooth = list(pose.predict_video(VTEST, max_frames=3, boxes=BOXES))
    np.testing.assert_array_equal(smooth[0].keypoints, raw[0].keypoints)
    # One-Euro output is a convex blend of the new sample and the previous output, per coordinate.
    low = np.minimum(raw[1].keypoints, smooth[0].keypoints) - 1e-3
    high = np.maximum(raw[1].keypoints, smooth[0].keypoints) + 1e-3
    assert ((smooth[1].keypoints >= low) & (smooth[1].keypoints <= high)).all()
    assert not np.allclose(smooth[1].keypoints, raw[1].keypoints)


def test_pose_result_carries_track_ids_into_json_and_the_picture() -> None:
    result = PoseResult(
        boxes=BOXES, box_scores=[1.0, 1.0], keypoints=np.zeros((2, 308, 2)), keypoint_scores=np.zeros((2, 308)),
        image_size=(576, 768), track_ids=[7, 9],
    )
    assert [i["track_id"] for i in json.loads(result.to_json())["instances"]] == [7, 9]
    plain = PoseResult(BOXES, [1.0, 1.0], np.zeros((2, 308, 2)), np.zeros((2, 308)), (576, 768))
    assert "track_id" not in plain.to_dict()["instances"][0]
    drawn = result.draw()
    assert drawn[180, 230:310].any() and not plain.draw().any()  # the box of person 7 is drawn
    with pytest.raises(ValueError, match="track_ids"):
        PoseResult(BOXES, [1.0, 1.0], np.zeros((2, 308, 2)), np.zeros((2, 308)), (576, 768), track_ids=[1])


def test_live_window_only_with_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(predict_video.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    shown = []
    monkeypatch.setattr(predict_video.cv2, "imshow", lambda *args: shown.append(args))
    window = predict_video.LiveWindow()
    assert not window.open and window.show(np.zeros((4, 4, 3), np.uint8)) and not shown
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(predict_video.cv2, "waitKey", lambda delay: ord("q"))
    window = predict_video.LiveWindow()
    assert window.open and not window.show(np.zeros((4, 4, 3), np.uint8)) and len(shown) == 1  # q stops


def test_sigterm_ends_a_video_run_like_ctrl_c() -> None:
    """In a process of its own: a SIGTERM to the test runner itself would reach every thread earlier tests left."""
    script = (
        "import os, signal, time\n"
        "from sapiens2.cli import predict_video\n"
        "previous = signal.getsignal(signal.SIGTERM)\n"
        "try:\n"
        "    with predict_video.sigterm_as_interrupt():\n"
        "        os.kill(os.getpid(), signal.SIGTERM)\n"
        "        time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', signal.getsignal(signal.SIGTERM) is previous)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["interrupted", "True"], done.stderr
