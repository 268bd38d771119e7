"""Runtime adapters behind ``open_bundle``, on a hand-built 1x1-conv "seg model" (no export needed)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import onnx
import pytest
import sapiens2.targets.openvino.runtime as openvino_adapter
from onnx import TensorProto, helper, numpy_helper
from sapiens2.bundle import BundleStage, RuntimeInfo
from sapiens2.cli.errors import UserError
from sapiens2.targets import RuntimeUnavailableError, open_bundle
from sapiens2.targets.onnx.runtime import OnnxRuntime
from test_bundle_manifest import seg_manifest

SHAPE = (1, 3, 128, 96)
WEIGHTS = np.random.default_rng(0).normal(size=(29, 3, 1, 1)).astype(np.float32)


def conv_model() -> onnx.ModelProto:
    """logits = 1x1 conv of the image with ``WEIGHTS``: same I/O contract as a 128x96 seg bundle."""
    graph = helper.make_graph(
        [helper.make_node("Conv", ["image", "w"], ["logits"])],
        "conv",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, list(SHAPE))],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 29, 128, 96])],
        [numpy_helper.from_array(WEIGHTS, "w")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)], ir_version=10)


def expected_logits(image: np.ndarray) -> np.ndarray:
    return np.einsum("oc,bchw->bohw", WEIGHTS[:, :, 0, 0], image)


def write_bundle(out: Path, target: str, settings: dict | None = None) -> Path:
    with BundleStage(out) as stage:
        onnx.save(conv_model(), stage.path / "model.onnx")
        if target == "onnx":
            files = ["model.onnx"]
            runtime = RuntimeInfo("onnxruntime", "test", settings or {})
        else:
            import openvino as ov

            ov.save_model(ov.convert_model(stage.path / "model.onnx"), stage.path / "model.xml", compress_to_fp16=False)
            (stage.path / "model.onnx").unlink()
            files = ["model.bin", "model.xml"]
            runtime = RuntimeInfo("openvino", "test", settings or {"INFERENCE_PRECISION_HINT": "f32"})
        manifest = dataclasses.replace(seg_manifest(), target=target, runtime=runtime, artifacts=stage.describe(files))
        return stage.publish(manifest, {})


@pytest.fixture(scope="module", params=["onnx", "openvino"])
def bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bundle(tmp_path_factory.mktemp(request.param) / "bundle", request.param)


def test_runtime_runs_the_artifact(bundle: Path) -> None:
    runtime = open_bundle(bundle, threads=1)
    assert runtime.input_names == ("image",) and runtime.output_names == ("logits",) and runtime.device == "cpu"
    image = np.random.default_rng(1).normal(size=SHAPE).astype(np.float32)
    outputs = runtime.run({"image": image})
    assert list(outputs) == ["logits"]
    np.testing.assert_allclose(outputs["logits"], expected_logits(image), rtol=1e-5, atol=1e-5)
    again = runtime.run({"image": image * 0})["logits"]
    assert np.all(again == 0) and not np.all(outputs["logits"] == 0)  # earlier results are not overwritten
    assert 1 in runtime.settings().values()


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ({"pixels": np.zeros(SHAPE, np.float32)}, r"batch lacks input\(s\) \['image'\]"),
        ({"image": np.zeros(SHAPE, np.float64)}, "input 'image' must be float32, got float64"),
        ({"image": np.zeros((1, 128, 96, 3), np.float32)}, r"must have shape \(batch, 3, 128, 96\) \(NCHW\)"),
    ],
)
def test_run_checks_the_batch_against_the_manifest(bundle: Path, batch: dict, message: str) -> None:
    with pytest.raises(UserError, match=message):
        open_bundle(bundle).run(batch)


def test_unknown_target_and_options(bundle: Path) -> None:
    with pytest.raises(UserError, match="unknown target 'tensorrt'; known targets: onnx, openvino, torch"):
        open_bundle(bundle, target="tensorrt")
    with pytest.raises(TypeError, match="unknown .* options"):
        open_bundle(bundle, bogus=1)


def test_missing_runtime_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = write_bundle(tmp_path / "bundle", "onnx")
    monkeypatch.setattr(OnnxRuntime, "available", classmethod(lambda cls: (False, "onnxruntime is not installed")))
    with pytest.raises(RuntimeUnavailableError, match="cannot open .* with onnxruntime: onnxruntime is not installed"):
        open_bundle(out)


def test_openvino_bf16_hint_falls_back_where_the_cpu_lacks_bf16(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = write_bundle(tmp_path / "bundle", "openvino", {"INFERENCE_PRECISION_HINT": "bf16"})
    monkeypatch.setattr(openvino_adapter, "cpu_supports_bf16", lambda core: False)
    with pytest.warns(UserWarning, match="no bf16 support"):
        runtime = open_bundle(out)
    assert runtime.inference_precision == "f32"
    monkeypatch.setattr(openvino_adapter, "cpu_supports_bf16", lambda core: True)
    assert open_bundle(out).inference_precision == "bf16"
    assert open_bundle(out, inference_precision="f32").settings()["INFERENCE_PRECISION_HINT"] == "f32"
    with pytest.raises(UserError, match="inference precision must be one of"):
        open_bundle(out, inference_precision="f16")


def test_open_is_the_documented_alias() -> None:
    from sapiens2 import targets

    assert targets.open is open_bundle
