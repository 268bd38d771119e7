"""ONNX Runtime calibration streams: each input's activations are reduced to their largest magnitudes before the next runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from fixture_paths import case_checkpoint, case_json
from sapiens2.bundle import read_bundle
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.quantize.calibration import calibration_set
from sapiens2.targets.onnx.calibration import LargestMagnitudes
from sapiens2.targets.onnx.quantizer import quantize_artifact
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture

SIZE = tuple(case_json("task_seg")["img_size"])


@pytest.fixture(scope="module")
def fp32_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("streaming") / "onnx"
    return compile_bundle(from_checkpoint(case_checkpoint("task_seg")), CompileOptions("onnx", SIZE, threads=1), out).path


def test_calibration_keeps_only_the_largest_magnitudes_of_each_input(
    fp32_onnx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folded: dict[int, list[tuple[int, int]]] = {}  # per tensor: (values of the input, magnitudes kept after it)
    add = LargestMagnitudes.add

    def spy(self: LargestMagnitudes, values: np.ndarray) -> None:
        add(self, values)
        folded.setdefault(id(self), []).append((values.size, self.magnitudes.size))

    monkeypatch.setattr(LargestMagnitudes, "add", spy)
    manifest = read_bundle(fp32_onnx).manifest
    calibration = calibration_set("seg", SIZE, manifest.output_names, None, size=3)
    shutil.copy(fp32_onnx / "model.onnx", tmp_path / "model.onnx")
    quantize_artifact(tmp_path, "int8", calibration, [], manifest.input_names[0])
    assert len(calibration.inputs) == 3 and len(folded) > 10
    for steps in folded.values():
        assert len(steps) == 3  # one fold per input
        size = steps[0][0]
        assert all(kept <= max(1, int(np.ceil(size * 3 * 1e-5))) + 1 for _, kept in steps)  # 0.001 % of 3 inputs, not the input
    graph = onnx.load(tmp_path / "model.onnx").graph
    assert sum(node.op_type == "QuantizeLinear" for node in graph.node) > 10
