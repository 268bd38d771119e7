"""Slow: every official task fixture (full 18-layer encoder) through ONNX, and the random 0.1B pose model.

Run with ``pytest -m slow tests/test_compile_official.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixture_paths import OFFICIAL, case_checkpoint, case_json
from safetensors.torch import load_file
from sapiens2.bundle import read_bundle
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.targets import open_bundle
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

RAW_OUTPUTS = {"pose": ["heatmaps"], "normal": ["normal"], "albedo": ["albedo"], "pointmap": ["pointmap", "scale"]}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.mark.parametrize("task", list(RAW_OUTPUTS))
def test_official_fixture_through_onnx(task: str, tmp_path: Path) -> None:
    case = case_json(f"task_{task}")
    options = CompileOptions(target="onnx", input_size=tuple(case["img_size"]), threads=1)
    path = compile_bundle(from_checkpoint(case_checkpoint(f"task_{task}")), options, tmp_path / task).path
    report = read_bundle(path).report()
    assert report["gate"]["passed"] and report["summary"]["vs_reference"]["cosine"] > 0.9999
    image = load_file(OFFICIAL / f"task_{task}" / "input.safetensors")["image"].numpy()
    outputs = open_bundle(path, threads=1).run({"image": image})
    expected = load_file(OFFICIAL / f"task_{task}" / "expected.safetensors")
    for index, name in enumerate(RAW_OUTPUTS[task]):
        reference = expected[f"out{index}"].numpy()
        assert outputs[name].shape == reference.shape == tuple(case["outputs"][f"out{index}"])
        # fp32 RoPE rotation vs the official bf16-rounded q/k: close, not identical.
        assert cosine(outputs[name], reference) > 0.9999, name


@pytest.mark.parametrize("target", ["onnx", "openvino"])
def test_random_0p1b_pose_at_512x384(target: str, tmp_path: Path) -> None:
    out = tmp_path / target
    code, _, stderr = run_cli(
        ["compile", "--arch", "sapiens2_0.1b", "--task", "pose", "--random-weights", "--input-size", "512x384",
         "--target", target, "--threads", "2", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, stderr
    assert "WARNING: compiling RANDOM weights" in stderr
    bundle = read_bundle(out)
    manifest, report = bundle.manifest, bundle.report()
    assert manifest.arch == "sapiens2_0.1b" and manifest.random_weights
    assert manifest.outputs[0].shape == (1, 308, 128, 96)
    assert report["gate"]["passed"] and report["summary"]["vs_reference"]["cosine"] >= 0.9999
    assert report["summary"]["vs_reference"]["keypoints_identical"] > 0.99
