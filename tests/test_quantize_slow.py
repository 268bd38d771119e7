"""Every target and scheme that runs here on the random 0.1B pose model at 256x192 (``pytest -m slow``).

Random weights quantize worse than trained ones (docs/toolchain.md: 4-bit drops to token cosine
0.5-0.86), and their flat heatmaps make keypoints flip, so the gates are loose; the test prints
each bundle's figures (feature cosine, PCK@0.05, size against the fp32 parameters, compile time).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from sapiens2.bundle import read_bundle
from sapiens2.compile import CompileOptions, compile_bundle, from_random_weights
from sapiens2.compile.samples import fidelity_samples
from sapiens2.compile.source import random_weights_model
from sapiens2.targets import get_target
from sapiens2.targets.torch.quantizer import stored_bytes
from sapiens2.targets.torch.model_runner import TorchModelRunner
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture

ARCH, SIZE = "sapiens2_0.1b", (256, 192)
# Loose gates for random weights (random-weight heatmaps are flat: keypoints flip between near-equal peaks).
GATES = {
    "int8": {"min_feature_cosine": 0.95, "min_pck": 0.3},
    "int8-weights": {"min_feature_cosine": 0.98, "min_pck": 0.5},
    "int4-weights": {"min_feature_cosine": 0.7, "min_pck": 0.05},
}
CASES = [
    *[("onnx", p) for p in GATES],
    *[("openvino", p) for p in GATES],
    ("executorch", "int8"),
    ("executorch", "int8-weights"),
    ("coreml", "int8-weights"),
    ("coreml", "int4-weights"),
]


def expected_bytes(model: torch.nn.Module, target: str, precision: str, kept: tuple[str, ...]) -> float:
    """Weights of the layer types the target quantizes at 8 or 4 bits, the kept layers and every other
    parameter in float (fp32; Core ML programs fp16): what the artifact should weigh, give or take scales."""
    types = get_target(target).quantizer().LAYER_TYPES[precision]
    bits = 4 if precision == "int4-weights" else 8
    float_bytes = 2 if target == "coreml" else 4
    quantized = {
        id(module.weight): module.weight.numel()
        for name, module in model.named_modules()
        if isinstance(module, types) and not any(name == k or name.startswith(f"{k}.") for k in kept)
    }
    return sum(quantized.get(id(p), 0) * bits / 8 or p.numel() * float_bytes for p in model.parameters())


@pytest.mark.slow
@pytest.mark.parametrize(("target", "precision"), CASES)
def test_random_0p1b_pose_quantizes_within_its_gate(tmp_path: Path, target: str, precision: str) -> None:
    gate = GATES[precision]
    # Static int8 calibrates activations (NNCF wants 8+ inputs); weight-only schemes calibrate only the scan.
    calibration_size = 8 if precision == "int8" else 4
    options = CompileOptions(target, SIZE, precision=precision, calibration_size=calibration_size, threads=2, **gate)
    result = compile_bundle(from_random_weights("pose", ARCH), options, tmp_path / "bundle")
    bundle = read_bundle(result.path)
    report = bundle.report()
    model = random_weights_model("pose", ARCH, SIZE)[0]
    fp32_bytes = sum(p.numel() * 4 for p in model.parameters())
    expected = expected_bytes(model, target, precision, bundle.manifest.quantization.kept_in_float)
    summary = report["accuracy"]["summary"]
    figures = {
        "target": target,
        "precision": precision,
        **{key: round(value, 5) for key, value in summary.items()},
        "size_vs_fp32": round(bundle.manifest.artifact_bytes / fp32_bytes, 4),
        "size_vs_expected": round(bundle.manifest.artifact_bytes / expected, 4),
        "kept_in_float": list(bundle.manifest.quantization.kept_in_float),
        "compile_s": report["compile_s"],
        "timings_s": report["timings_s"],
    }
    print(json.dumps(figures))
    assert report["accuracy"]["gate"]["passed"] and summary["feature_cosine_min"] < 1.0
    assert 0.9 < figures["size_vs_expected"] < 1.25


@pytest.mark.slow
@pytest.mark.parametrize(("precision", "min_cosine"), [("int8", 0.98), ("int8-weights", 0.99)])
def test_random_0p1b_pose_torchao(precision: str, min_cosine: float) -> None:
    model, _ = random_weights_model("pose", ARCH, SIZE)
    images = np.concatenate([sample.array for sample in fidelity_samples("pose", SIZE, None) if sample.real])
    with torch.no_grad():
        reference = model.eval()(torch.from_numpy(images)).numpy()
    fp32_bytes = stored_bytes(model)
    # Linear weights drop to a quarter; convolutions (patch embedding, the head's deconvolutions) stay fp32.
    expected = fp32_bytes - 0.75 * sum(m.weight.numel() * 4 for m in model.modules() if isinstance(m, torch.nn.Linear))
    start = time.perf_counter()
    runner = TorchModelRunner(model, "cpu", precision)
    quantize_s = time.perf_counter() - start
    heatmaps = runner({"image": images})["heatmaps"]
    cosines = [float(a.ravel() @ b.ravel() / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(reference, heatmaps)]
    figures = {
        "target": "torch",
        "precision": precision,
        "heatmap_cosine_min": round(min(cosines), 5),
        "size_vs_fp32": round(stored_bytes(runner.model) / fp32_bytes, 4),
        "size_vs_expected": round(stored_bytes(runner.model) / expected, 4),
        "quantize_s": round(quantize_s, 2),
    }
    print(json.dumps(figures))
    assert min_cosine < min(cosines) < 1.0 and 1.0 < figures["size_vs_expected"] < 1.02  # plus a scale per row
