"""The bench summary's pick: per group, the fastest compiled bundle that passed its gates."""

from __future__ import annotations

from sapiens2.bench.fastest import fastest_passing, fastest_sentence
from sapiens2.bench.matrix import RowSpec
from sapiens2.bench.results import BenchReport, RowResult
from sapiens2.bench.timing import Timing

SEG, POSE = ("seg", (512, 384)), ("pose", (256, 192))


def _row(group: tuple[str, tuple[int, int]], target: str, precision: str, median_ms: float | None, status: str = "ok") -> RowResult:
    latency = None if median_ms is None else Timing("row", (median_ms,), 0)
    return RowResult(RowSpec(*group, target, precision), status=status, latency=latency, speedup=None if median_ms is None else 60.0 / median_ms)


def test_the_fastest_passing_bundle_of_each_group_is_picked() -> None:
    rows = [
        _row(SEG, "torch", "fp32", 60.0),  # the reference: not a bundle
        _row(SEG, "mediapipe", "fp32", 5.0),  # another model
        _row(SEG, "onnx", "int8", 20.0, status="failed"),  # its gate failed: no bundle
        _row(SEG, "onnx", "fp32", 40.0),
        _row(SEG, "openvino", "bf16", 27.0),
        _row(SEG, "openvino", "fp32", 30.0),
        _row(POSE, "onnx", "fp32", 12.0),
        _row(POSE, "executorch", "fp32", None, status="unavailable"),
    ]
    best = fastest_passing(rows)
    assert {group: row.spec.label for group, row in best.items()} == {SEG: "openvino bf16", POSE: "onnx fp32"}
    sentence = fastest_sentence(BenchReport(settings={}, machine={}, created="now", rows=rows))
    # 60 ms eager / 27 ms = 2.22x; 60 / 12 = 5.00x
    assert sentence == (
        "Fastest bundle that passed its gates (what --precision auto aims for): "
        "seg 512x384: openvino bf16 (27.0 ms, 2.22x eager); pose 256x192: onnx fp32 (12.0 ms, 5.00x eager)."
    )


def test_no_passing_bundle_is_said_plainly() -> None:
    rows = [_row(SEG, "torch", "fp32", 60.0), _row(SEG, "onnx", "int8", 20.0, status="failed")]
    assert fastest_passing(rows) == {}
    assert fastest_sentence(BenchReport(settings={}, machine={}, created="now", rows=rows)) == "No compiled bundle passed its gates."
