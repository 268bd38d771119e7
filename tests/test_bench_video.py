"""``sapiens2 bench --video``: each row's frames/s on the video path next to single-frame predict,
in the JSON, the terminal table and bench.md, for a matrix and for given bundles."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from sapiens2.bench.video_rows import SAMPLE_FPS, write_sample_clip
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.samples import data_dir
from fixture_paths import case_checkpoint, fixture_layers
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

FAST = ["--runs", "1", "--warmup", "0", "--threads", "1", "--sizes", "64x48"]


def _positive_video(row: dict, batch: int, frames: int) -> None:
    video = row["video"]
    assert (video["batch"], video["frames"]) == (batch, frames), row["label"]
    assert video["single_frame_fps"] > 0 and video["video_path_fps"] > 0
    assert video["speedup"] == pytest.approx(video["video_path_fps"] / video["single_frame_fps"])


def test_the_sample_clip_holds_the_packaged_frames_in_order(tmp_path: Path) -> None:
    frames = sorted((data_dir() / "images").glob("vtest_frame*.jpg"))
    capture = cv2.VideoCapture(str(write_sample_clip(tmp_path / "clip.mp4")))
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(SAMPLE_FPS)
    decoded = []
    while (read := capture.read())[0]:
        decoded.append(read[1])
    assert len(decoded) == len(frames) >= 2
    first = cv2.imread(str(frames[0]))
    assert decoded[0].shape == first.shape
    assert abs(decoded[0].astype(float) - first).mean() < 8  # lossy codec, same picture
    assert abs(decoded[0].astype(float) - decoded[-1]).mean() > abs(decoded[0].astype(float) - first).mean()


def test_matrix_rows_get_video_and_single_frame_fps(tmp_path: Path) -> None:
    argv = ["bench", "--checkpoint", str(case_checkpoint("task_pose")), "--targets", "torch", *FAST]
    code, stdout, stderr = run_cli([*argv, "--video", "--video-frames", "3", "--batch", "2", "--json", "--out", str(tmp_path / "out")])
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["settings"]["video"] == {"source": "sample_clip.mp4", "frames": 3, "batch": 2, "rounds": 2}
    (row,) = report["rows"]
    _positive_video(row, batch=2, frames=3)
    markdown = (tmp_path / "out" / "bench.md").read_text()
    assert "| 1-frame fps | video fps @2 |" in markdown and "frames per forward pass" in markdown
    code, stdout, _ = run_cli([*argv, "--json"])
    assert code == 0 and json.loads(stdout)["rows"][0]["video"] is None and json.loads(stdout)["settings"]["video"] is None


@pytest.fixture(scope="module")
def pose_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official pose fixture cut to 2 blocks, compiled for ONNX Runtime with a fixed batch of 1."""
    root = tmp_path_factory.mktemp("bench-video")
    checkpoint = fixture_layers("task_pose", 2, root / "pose.safetensors")
    return compile_bundle(from_checkpoint(checkpoint), CompileOptions(target="onnx", input_size=(64, 48), threads=1), root / "bundle").path


def test_given_bundles_get_one_video_figure_per_row_at_the_batch_they_can_run(pose_bundle: Path, tmp_path: Path) -> None:
    clip = write_sample_clip(tmp_path / "walk.mp4")
    argv = ["bench", str(pose_bundle), "--runs", "1", "--warmup", "0", "--threads", "1", "--batch", "2", "--video", str(clip), "--video-frames", "2"]
    code, stdout, stderr = run_cli([*argv, "--json"])
    assert code == 0, stderr
    reference, onnx = json.loads(stdout)["rows"]
    _positive_video(reference, batch=2, frames=2)
    _positive_video(onnx, batch=1, frames=2)  # a fixed-batch bundle runs the video path one frame per pass
    code, _, _ = run_cli([*argv, "--out", str(tmp_path / "out")])
    onnx_cells = next(line for line in (tmp_path / "out" / "bench.md").read_text().splitlines() if line.startswith("| onnx fp32"))
    assert code == 0 and " @1 |" in onnx_cells  # the batch it ran at, beside the column's @2


def test_a_video_that_cannot_be_read_is_refused_before_any_row(tmp_path: Path) -> None:
    code, _, stderr = run_cli(["bench", "--checkpoint", str(case_checkpoint("task_pose")), "--video", str(tmp_path / "absent.mp4")])
    assert code == 2 and "does not exist" in stderr
    (tmp_path / "broken.mp4").write_text("not a video")
    code, _, stderr = run_cli(["bench", "--checkpoint", str(case_checkpoint("task_pose")), "--video", str(tmp_path / "broken.mp4")])
    assert code == 2 and "could not be opened" in stderr
    code, _, stderr = run_cli(["bench", "--checkpoint", str(case_checkpoint("task_pose")), "--video", "--video-frames", "0"])
    assert code == 2 and "--video-frames must be >= 1, got 0" in stderr
