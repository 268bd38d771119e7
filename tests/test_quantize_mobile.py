"""ExecuTorch (PT2E XNNPACK) and Core ML (coremltools weight compression) quantization on the pose fixture.

Lowering and converting cost ~1 min a program on this 2-core machine, so the model is the official
pose fixture cut to its first two blocks (``fixture_layers``: its trained-like LayerScales keep the
blocks from being near-identities) with its head. ExecuTorch: one full int8 compile through
lowering and the accuracy gate; the dynamic schemes are checked on the PT2E graph the backend
lowers (the 0.1B lowers them all in ``test_quantize_slow.py``). Core ML: one fp16 conversion, then
``quantize_bundle`` derives both weight schemes from it (fidelity from the MIL runner on Linux).
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from fixture_paths import case_json, fixture_layers
from sapiens2.bundle import read_bundle
from sapiens2.checkpoints import load_model
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.targets.coreml.mil_runner import MilProgramRunner
from sapiens2.targets.onnx.exporter import parameter_bytes
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.compile.derive import quantize_bundle
from sapiens2.targets.executorch.quantizer import quantize_module
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture

POSE = case_json("task_pose")
SIZE = tuple(POSE["img_size"])
# Random fixture weights give flat heatmaps whose argmax flips easily: loose pose gates (README: accuracy gate).
LOOSE = {"min_feature_cosine": 0.9, "min_pck": 0.1}
COREML_WEIGHT_THRESHOLD = 2048  # coremltools.optimize leaves weights of at most this many elements as they are


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_layers("task_pose", 2, tmp_path_factory.mktemp("cut") / "pose2.safetensors")


@pytest.fixture(scope="module")
def et_int8(checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    options = CompileOptions("executorch", SIZE, precision="int8", calibration_size=4, threads=1, **LOOSE)
    return compile_bundle(from_checkpoint(checkpoint), options, tmp_path_factory.mktemp("et") / "int8").path


@pytest.fixture(scope="module")
def coreml(checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("coreml")
    fp16 = compile_bundle(from_checkpoint(checkpoint), CompileOptions("coreml", SIZE, threads=1), root / "fp16").path
    derived = {p: quantize_bundle(fp16, root / p, p, calibration_size=4, threads=1, **LOOSE).path for p in ("int8-weights", "int4-weights")}
    return {"fp16": fp16, **derived}


def op_counts(graph: torch.fx.GraphModule) -> collections.Counter:
    return collections.Counter(str(node.target) for node in graph.graph.nodes if node.op == "call_function")


def test_executorch_static_int8_lowers_whole_and_passes_its_gate(et_int8: Path, checkpoint: Path) -> None:
    bundle = read_bundle(et_int8, verify=True)
    manifest, report = bundle.manifest, bundle.report()
    quantization = manifest.quantization
    assert (manifest.precision, quantization.scheme) == ("int8", "PT2E XNNPACK static")
    assert quantization.activations == "int8 per tensor, calibrated" and quantization.calibration["size"] == 4
    # Calibrated on the detector's person crops of the shared photos and video frames.
    assert quantization.calibration["source"].startswith("default") and report["quantization"]["held_out_images"]
    placement = report["placement"]
    assert placement["delegates"] == {"XnnpackBackend": 1} and placement["portable_gated"] == {}
    assert not any("quantize" in op for op in placement["portable"])  # every (de)quantize runs inside XNNPACK
    summary = report["accuracy"]["summary"]
    assert report["accuracy"]["gate"]["passed"] and 0.99 < summary["feature_cosine_min"] < 1.0 and summary["pck_0.05"] >= 0.1
    # int8 weights are a quarter of fp32; on so small a model the rest of the program (~0.3 MB) weighs as much
    # (the 0.1B, where weights dominate, lands near the quarter: test_quantize_slow.py).
    assert manifest.artifact_bytes < 0.6 * parameter_bytes(load_model(checkpoint, expect="task"))


@pytest.mark.parametrize(("precision", "bits", "min_cosine"), [("int8-weights", 8, 0.999), ("int4-weights", 4, 0.95)])
def test_executorch_dynamic_schemes_quantize_every_linear_but_the_kept(checkpoint: Path, precision: str, bits: int, min_cosine: float) -> None:
    model = load_model(checkpoint, expect="task").eval()
    wrapper = ExportWrapper(model, SIZE).eval()
    example = torch.randn(1, 3, *SIZE, generator=torch.Generator().manual_seed(0))
    kept = "backbone.blocks.1.ffn"
    graph = quantize_module(wrapper, example, precision, [example.numpy()], kept=[kept])  # one call: the weight observers run
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    counts = op_counts(graph)
    # Every linear but the kept FFN's two reads a per-channel int8 weight; no convolution does (XNNPACK has no dynamic ones).
    assert counts["quantized_decomposed.dequantize_per_channel.default"] == len(linears) - 2
    assert counts["quantized_decomposed.choose_qparams.tensor"] > 0 and "quantized_decomposed.quantize_per_tensor.default" not in counts
    dequantized = [n.args[0] for n in graph.graph.nodes if n.target == torch.ops.quantized_decomposed.dequantize_per_channel.default]
    stored = [getattr(graph, node.target) for node in dequantized if node.op == "get_attr"]
    # Symmetric per channel: each channel's largest weight lands on the top level, 127 or 7 (int4 held in int8; -128 or -8 at most).
    assert stored and all(w.dtype == torch.int8 and 2 ** (bits - 1) - 1 <= int(w.abs().max()) <= 2 ** (bits - 1) for w in stored)
    with torch.no_grad():
        reference, quantized = wrapper(example)[0], graph(example)[0]
    cosine = torch.nn.functional.cosine_similarity(reference.double().flatten(), quantized.double().flatten(), dim=0).item()
    assert min_cosine < cosine < 1.0


@pytest.mark.skipif(sys.platform == "darwin", reason="on macOS Core ML itself verifies the package")
@pytest.mark.parametrize(("precision", "compression_op", "max_size"), [("int8-weights", "constexpr_affine_dequantize", 0.6), ("int4-weights", "constexpr_lut_to_dense", 0.4)])
def test_coreml_weight_schemes_derive_from_the_fp16_bundle(
    coreml: dict[str, Path], checkpoint: Path, precision: str, compression_op: str, max_size: float
) -> None:
    bundle, fp16 = read_bundle(coreml[precision], verify=True), read_bundle(coreml["fp16"])
    manifest, report = bundle.manifest, bundle.report()
    assert manifest.precision == precision and manifest.runtime.settings["compute_precision"] == "fp16"
    assert manifest.export == fp16.manifest.export and "needs macOS" in manifest.unverified["model.mlpackage"]
    assert manifest.quantization.activations == "float (fp16 compute)" and manifest.quantization.calibration["size"] == 4
    assert report["runtime"]["name"] == "coreml-mil-runner" and report["gate"]["passed"]
    ops = collections.Counter(op.op_type for op in MilProgramRunner(coreml[precision] / "model.mlpackage").operations)
    kept = manifest.quantization.kept_in_float
    # One compressed constant per weight tensor (linears, convolutions, deconvolutions) but the kept layers' and tiny ones.
    model = load_model(checkpoint, expect="task")
    layers = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear | torch.nn.Conv2d | torch.nn.ConvTranspose2d) and m.weight.numel() > COREML_WEIGHT_THRESHOLD]
    assert ops[compression_op] == len([n for n in layers if not n.startswith(tuple(kept))])
    assert manifest.artifact_bytes < max_size * fp16.manifest.artifact_bytes
    summary = report["accuracy"]["summary"]
    assert 0.9 < summary["feature_cosine_min"] < 1.0 and 0.0 <= summary["pck_0.05"] <= 1.0


def test_coreml_int4_is_further_from_fp16_than_int8(coreml: dict[str, Path]) -> None:
    """A 16-entry table per tensor loses more than 256 levels per channel (docs/toolchain.md: 0.77 vs 0.998 token cosine)."""
    summaries = {p: read_bundle(coreml[p]).report()["accuracy"]["summary"] for p in ("int8-weights", "int4-weights")}
    assert summaries["int4-weights"]["feature_cosine_mean"] < summaries["int8-weights"]["feature_cosine_mean"]
    assert np.isfinite(summaries["int4-weights"]["keypoint_error_px_mean"])
