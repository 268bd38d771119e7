"""Every scheme of ONNX Runtime and OpenVINO on the official seg fixture, derived from fp32 bundles.

The fixture's weights are random, so the accuracy figures are checked against what quantization
can and cannot do to them (bounds, orderings), not against task quality.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from fixture_paths import OFFICIAL, case_checkpoint, case_json
from safetensors.torch import load_file
from sapiens2.bundle import read_bundle
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.targets.onnx.exporter import parameter_bytes
from sapiens2.compile.source import reference_wrapper
from sapiens2.compile.derive import quantize_bundle
from sapiens2.cpu import has_fast_bf16
from sapiens2.targets.onnx.quantizer import node_modules
from sapiens2.targets import open_bundle
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture

SIZE = tuple(case_json("task_seg")["img_size"])
SCHEMES = ("int8", "int8-weights", "int4-weights")
# Random fixture weights quantize worse than trained ones would; these only check the gate runs and reports.
LOOSE = {"min_feature_cosine": 0.9, "min_pixel_agreement": 0.5, "min_miou": 0.2}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("quantized")
    result = {}
    for target in ("onnx", "openvino"):
        fp32 = compile_bundle(from_checkpoint(case_checkpoint("task_seg")), CompileOptions(target, SIZE, threads=1), root / target).path
        result[target, "fp32"] = fp32
        for precision in SCHEMES:
            out = root / f"{target}-{precision}"
            result[target, precision] = quantize_bundle(fp32, out, precision, calibration_size=4, threads=1, **LOOSE).path
    return result


@pytest.mark.parametrize("target", ["onnx", "openvino"])
@pytest.mark.parametrize("precision", SCHEMES)
def test_quantized_bundle_records_its_scheme_and_passes_its_gate(bundles: dict, target: str, precision: str) -> None:
    bundle = read_bundle(bundles[target, precision])
    fp32 = read_bundle(bundles[target, "fp32"])
    manifest, report = bundle.manifest, bundle.report()
    assert manifest.precision == precision and manifest.target == target and manifest.export == fp32.manifest.export
    quantization = manifest.quantization
    assert quantization.calibration["size"] == 4 and quantization.calibration["source"].startswith("default")
    assert list(quantization.kept_in_float) == report["quantization"]["kept_in_float"]
    scanned = {row["group"]: row["kept_in_float"] for row in report["quantization"]["sensitivity_scan"]}
    assert {group for group, kept in scanned.items() if kept} == set(quantization.kept_in_float)
    accuracy = report["accuracy"]
    assert accuracy["gate"]["passed"] and set(accuracy["gate"]["thresholds"]) == {"feature_cosine", "pixel_agreement", "miou"}
    held_out = report["quantization"]["held_out_images"]
    assert [image["name"] for image in accuracy["images"]] == held_out and not set(held_out) & set(quantization.calibration["images"])
    summary = accuracy["summary"]
    assert 0.9 <= summary["feature_cosine_min"] <= summary["feature_cosine_mean"] < 1.0  # quantized, but close
    assert summary["miou"] <= summary["pixel_agreement"] <= 1.0
    assert bundle.manifest.artifact_bytes < fp32.manifest.artifact_bytes


def test_int8_shrinks_the_weights_about_fourfold(bundles: dict) -> None:
    """The weight file holds the kept layers in fp32 and the rest in int8 (a quarter), plus scales and the graph."""
    model = reference_wrapper(read_bundle(bundles["onnx", "fp32"]).manifest).model
    total = parameter_bytes(model)
    for target, weights_file in (("onnx", "model.onnx"), ("openvino", "model.bin")):
        kept = read_bundle(bundles[target, "int8"]).manifest.quantization.kept_in_float
        kept_bytes = sum(p.numel() * p.element_size() for n, p in model.named_parameters() if n.startswith(tuple(f"{k}." for k in kept)))
        expected = kept_bytes + (total - kept_bytes) / 4
        ratio = (bundles[target, "int8"] / weights_file).stat().st_size / expected
        assert 0.8 < ratio < 1.5, (target, ratio)


def test_static_int8_onnx_quantizes_every_convolution_except_the_kept_layers(bundles: dict) -> None:
    path = bundles["onnx", "int8"]
    graph = onnx.load(path / "model.onnx").graph
    quantized_weights = {node.input[0] for node in graph.node if node.op_type == "DequantizeLinear"}
    kept = read_bundle(path).manifest.quantization.kept_in_float
    fp32 = onnx.load(bundles["onnx", "fp32"] / "model.onnx")
    modules = node_modules(fp32)
    for node in fp32.graph.node:
        if node.op_type in ("Conv", "ConvTranspose"):
            weight = node.input[1]
            assert (f"{weight}_quantized" in quantized_weights) != any(modules[node.name].startswith(k) for k in kept), weight
    assert sum(node.op_type == "QuantizeLinear" for node in graph.node) > 50


def test_quantized_outputs_stay_close_to_the_official_fixture(bundles: dict) -> None:
    image = load_file(OFFICIAL / "task_seg" / "input.safetensors")["image"].numpy()
    official = load_file(OFFICIAL / "task_seg" / "expected.safetensors")["out0"].numpy()
    for target in ("onnx", "openvino"):
        logits = {p: open_bundle(bundles[target, p], threads=1).run({"image": image})["logits"] for p in ("fp32", *SCHEMES)}
        agreement = {p: float(np.mean(v.argmax(1) == official.argmax(1))) for p, v in logits.items()}
        assert agreement["fp32"] > 0.99 and agreement["int8-weights"] > 0.6 and agreement["int4-weights"] > 0.4, agreement


def test_openvino_int8_runs_its_float_remainder_in_bf16_where_the_cpu_has_it(bundles: dict, isa_path) -> None:
    """The int8 IR's float ops (attention products, softmax, norms) take the CPU's native bf16; the gate checked that."""
    expected = "bf16" if has_fast_bf16() else "f32"
    bundle = read_bundle(bundles["openvino", "int8"])
    assert bundle.manifest.runtime.settings["INFERENCE_PRECISION_HINT"] == expected
    assert open_bundle(bundles["openvino", "int8"], threads=1).settings()["INFERENCE_PRECISION_HINT"] == expected
    assert read_bundle(bundles["openvino", "int8-weights"]).manifest.runtime.settings["INFERENCE_PRECISION_HINT"] == "f32"
    isa_path(f"OpenVINO int8 float remainder in {expected}")


@pytest.mark.parametrize(("precision", "bf16_cpu", "arithmetic"), [("int8", True, "bf16"), ("int8", False, "f32"), ("bf16", False, "bf16"), ("fp32", True, "f32")])
def test_openvino_float_arithmetic_follows_precision_and_cpu(monkeypatch, precision: str, bf16_cpu: bool, arithmetic: str) -> None:
    from sapiens2.targets.openvino import target

    monkeypatch.setattr(target, "has_fast_bf16", lambda: bf16_cpu)
    assert target.float_arithmetic(precision) == arithmetic
