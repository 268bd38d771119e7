"""ONNX Runtime calibration streams: it folds each input's activations into its histograms before the next."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from fixture_paths import case_checkpoint, case_json
from onnxruntime.quantization.calibrate import HistogramCollector
from sapiens2.bundle import read_bundle
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.quantize.calibration import calibration_set
from sapiens2.targets.onnx.quantizer import quantize_artifact
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture

SIZE = tuple(case_json("task_seg")["img_size"])


@pytest.fixture(scope="module")
def fp32_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("streaming") / "onnx"
    return compile_bundle(from_checkpoint(case_checkpoint("task_seg")), CompileOptions("onnx", SIZE, threads=1), out).path


def test_calibration_never_holds_more_than_one_input_of_activations(
    fp32_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[int] = []
    collect = HistogramCollector.collect

    def spy(self: HistogramCollector, name_to_arr: dict[str, list[np.ndarray]]) -> None:
        held.append(max(len(arrays) for arrays in name_to_arr.values()))
        collect(self, name_to_arr)

    monkeypatch.setattr(HistogramCollector, "collect", spy)
    manifest = read_bundle(fp32_onnx).manifest
    calibration = calibration_set("seg", SIZE, manifest.output_names, None, size=3)
    shutil.copy(fp32_onnx / "model.onnx", tmp_path / "model.onnx")
    quantize_artifact(tmp_path, "int8", calibration, [], manifest.input_names[0])
    assert len(calibration.inputs) == 3 and held == [1, 1, 1]
    graph = onnx.load(tmp_path / "model.onnx").graph
    assert sum(node.op_type == "QuantizeLinear" for node in graph.node) > 10
