"""The ONNX Runtime int8 activation ranges: the exact percentile, and the same ranges ONNX Runtime's own calibrator finds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator, load_tensors_data
from sapiens2.targets.onnx.calibration import LargestMagnitudes, write_percentile_ranges


def test_the_range_is_the_exact_percentile_magnitude_over_every_input() -> None:
    rng = np.random.default_rng(0)
    inputs = [rng.standard_t(3, size=(300, 400)).astype(np.float32) for _ in range(3)]
    tensor = LargestMagnitudes(len(inputs), percentile=99.9)
    for values in inputs:
        tensor.add(values)
    magnitudes = np.sort(np.abs(np.concatenate([x.ravel() for x in inputs])))
    above = math.ceil(magnitudes.size * 0.001)  # 360 values lie above the 99.9th percentile
    low, high = tensor.range()
    assert high == magnitudes[-above] and low == -magnitudes[-above]
    assert high < magnitudes[-1] / 2  # heavy tails: well inside the extremes


def test_the_range_stays_within_the_values_seen() -> None:
    tensor = LargestMagnitudes(2, percentile=50.0)
    tensor.add(np.array([0.5, 1.0, 2.0, 4.0], np.float32))
    tensor.add(np.array([1.5, 3.0, 3.5, 8.0], np.float32))
    assert tensor.range() == (0.5, 3.0)  # -3 would lie below every value: the minimum, 0.5, bounds it


def _gemm_model(path: Path) -> None:
    rng = np.random.default_rng(1)
    weight = numpy_helper.from_array(rng.normal(size=(32, 16)).astype(np.float32), "w")
    bias = numpy_helper.from_array(np.zeros(16, np.float32), "b")
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="gemm")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [256, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [256, 16])],
        initializer=[weight, bias],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9), path)


class _Inputs:
    def __init__(self, inputs: list[np.ndarray]) -> None:
        self.feeds = iter({"x": x} for x in inputs)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.feeds, None)


def test_the_ranges_match_onnx_runtimes_own_percentile_calibrator(tmp_path: Path) -> None:
    _gemm_model(tmp_path / "model.onnx")
    rng = np.random.default_rng(2)
    inputs = [(rng.standard_t(3, size=(256, 32)) * scale).astype(np.float32) for scale in (1.0, 3.0, 0.5)]
    write_percentile_ranges(tmp_path / "model.onnx", ["Gemm"], inputs, "x", tmp_path / "ranges.json", tmp_path)
    ours = load_tensors_data(tmp_path / "ranges.json")
    theirs_calibrator = create_calibrator(
        tmp_path / "model.onnx", ["Gemm"], augmented_model_path=str(tmp_path / "theirs.onnx"), calibrate_method=CalibrationMethod.Percentile
    )
    for x in inputs:  # one input at a time, as the quantizer used to feed it
        theirs_calibrator.collect_data(_Inputs([x]))
    theirs = theirs_calibrator.compute_data()
    assert ours.calibration_method == CalibrationMethod.Percentile
    assert set(ours.data) == set(theirs.data) == {"x", "y"}
    for name in ours.data:
        (low, high), (their_low, their_high) = ours.data[name].range_value, theirs.data[name].range_value
        width = float(their_high) / 2048 * 4  # their answer is a bin edge of a 2048-bin histogram (bins widen as ranges grow)
        assert abs(float(high) - float(their_high)) <= width and abs(float(low) - float(their_low)) <= width
