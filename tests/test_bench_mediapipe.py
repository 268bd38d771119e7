"""The MediaPipe baseline rows. They need MediaPipe's own virtual environment (``--mediapipe`` makes
it, with network access); these tests use an existing one ($SAPIENS2_MEDIAPIPE_VENV or the
default place) and are skipped without it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from sapiens2.bench.mediapipe_baseline import DEFAULT_VENV, MediaPipeRunner, MediaPipeUnavailable, has_mediapipe, venv_python
from sapiens2.samples import data_dir
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

VENV = Path(os.environ.get("SAPIENS2_MEDIAPIPE_VENV", DEFAULT_VENV)).expanduser()
IMAGE = data_dir() / "images" / "astronaut.png"
needs_mediapipe = pytest.mark.skipif(not has_mediapipe(venv_python(VENV)), reason=f"no MediaPipe environment at {VENV}")


def test_worker_that_cannot_start_says_why() -> None:
    with pytest.raises(MediaPipeUnavailable, match="the MediaPipe worker stopped: .*No module named 'mediapipe'"):
        MediaPipeRunner(Path(sys.executable), "seg", IMAGE, cpus=1)
    with pytest.raises(MediaPipeUnavailable, match="MediaPipe has no normal model"):
        MediaPipeRunner(Path(sys.executable), "normal", IMAGE, cpus=1)


@needs_mediapipe
def test_mediapipe_rows_beside_the_reference() -> None:
    argv = ["bench", "--arch", "64,2,4,256,2", "--tasks", "pose,seg", "--random-weights", "--sizes", "64x48", "--targets", "torch"]
    code, stdout, stderr = run_cli([*argv, "--runs", "2", "--warmup", "1", "--threads", "1", "--mediapipe", "--mediapipe-venv", str(VENV), "--json"])
    assert code == 0, stderr
    rows = json.loads(stdout)["rows"]
    assert [(row["task"], row["target"]) for row in rows] == [("pose", "torch"), ("pose", "mediapipe"), ("seg", "torch"), ("seg", "mediapipe")]
    modules = next(VENV.glob("lib/python*/site-packages/mediapipe/modules"))
    expected_bytes = {
        "pose": sum((modules / name).stat().st_size for name in ("pose_detection/pose_detection.tflite", "pose_landmark/pose_landmark_full.tflite")),
        "seg": (modules / "selfie_segmentation/selfie_segmentation.tflite").stat().st_size,
    }
    for row in rows[1::2]:
        assert row["status"] == "ok", row["reason"]
        assert row["runtime"] == "mediapipe 0.10.21" and row["label"] == "mediapipe as shipped" and row["attention"] is None
        assert len(row["latency_ms"]["runs"]) == len(row["reference_latency_ms"]["runs"]) == 2 and row["speedup"] > 0
        assert row["artifact_bytes"] == expected_bytes[row["task"]]
        assert row["fidelity"] is None and row["peak_rss_bytes"] > 20e6  # the worker's own peak
