"""Bench internals: the matrix expansion, alternate (A B A B) timing and paired ratios, rows that
cannot run, the bundle cache key, and peak-RSS measurement."""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import torch
from sapiens2.bench import (
    BenchSettings,
    BundleCache,
    RowSpec,
    Timing,
    Weights,
    bench_targets,
    expand_matrix,
    paired_speedup,
    peak_rss_bytes,
    reset_peak_rss,
    rss_bytes,
    run_matrix,
    time_alternately,
)
from sapiens2.bench.reference import Reference
from sapiens2.bench.openers import Opened
from sapiens2.bench.runner import bench_group
from sapiens2.bench.torch_runner import official_wrapper
from sapiens2.compile import CompileOptions
from sapiens2.compile import options as compile_options
from sapiens2.errors import UserError
from sapiens2.targets import TARGETS
from sapiens2.targets.onnx.target import OnnxTarget
from test_compile_cli import one_torch_thread  # noqa: F401 - fixture

TINY_ARCH = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
SIZE = (64, 48)


class Recorder:
    """A runner that records its label on every call and returns fixed outputs."""

    def __init__(self, label: str, calls: list[str], outputs: Mapping[str, np.ndarray] | None = None) -> None:
        self.name, self.label, self.calls = label, label, calls
        self.outputs = dict(outputs or {})

    def run(self, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        self.calls.append(self.label)
        return self.outputs


class FakeClock:
    """perf_counter stand-in: each runner call takes the next scripted duration (seconds)."""

    def __init__(self, durations: list[float]) -> None:
        self.durations, self.now, self.started = iter(durations), 0.0, False

    def __call__(self) -> float:
        if self.started:
            self.now += next(self.durations)
        self.started = not self.started
        return self.now


def test_matrix_expands_every_combination_with_the_reference_first() -> None:
    rows = expand_matrix(["pose", "seg"], [(64, 48), (32, 32)], ["torch", "onnx"], ["fp32", "fp16"], ["sdpa", "tiled"])
    # 4 groups; each: the reference + 2 targets x 2 precisions x 2 attentions, minus the reference itself.
    assert len(rows) == 4 * (1 + 2 * 2 * 2 - 1)
    groups = [(group, list(members)) for group, members in itertools.groupby(rows, key=lambda row: row.group)]
    assert [group for group, _ in groups] == [("pose", (64, 48)), ("pose", (32, 32)), ("seg", (64, 48)), ("seg", (32, 32))]
    for (task, size), members in groups:
        assert members[0] == RowSpec(task, size, "torch", "fp32", "sdpa") and members[0].is_reference
        assert sum(member.is_reference for member in members) == 1
        assert len(set(members)) == len(members) == 8
    assert RowSpec("seg", (32, 32), "onnx", "fp16", "tiled") in rows
    assert RowSpec("seg", (32, 32), "onnx", "fp16", "tiled").label == "onnx fp16 tiled"
    # A given bundle's deconv form shows only where it is not the target's default.
    assert RowSpec("seg", (32, 32), "onnx", "fp32", "sdpa", "native").label == "onnx fp32 native-deconv"
    assert RowSpec("seg", (32, 32), "onnx", "fp32", "sdpa", "phase").label == "onnx fp32"
    assert RowSpec("seg", (32, 32), "executorch", "fp32", "sdpa", "phase").label == "executorch fp32 phase-deconv"


def test_matrix_reads_targets_and_precisions_when_called(monkeypatch: pytest.MonkeyPatch) -> None:
    class NpuTarget(OnnxTarget):
        name = "npu"

    monkeypatch.setitem(TARGETS, "npu", NpuTarget)
    monkeypatch.setattr(compile_options, "PRECISIONS", (*compile_options.PRECISIONS, "int2"))
    assert bench_targets()[:2] == ("torch", "torch-compile") and bench_targets()[-1] == "npu"
    rows = expand_matrix(["seg"], [SIZE], ["npu"], ["int2"])
    assert [row.label for row in rows] == ["torch fp32", "npu int2"]
    with pytest.raises(UserError, match=r"unknown target 'tflite'; choose from torch, torch-compile, onnx, .*, npu$"):
        expand_matrix(["seg"], [SIZE], ["tflite"], ["fp32"])
    with pytest.raises(UserError, match="unknown task 'depth'"):
        expand_matrix(["depth"], [SIZE], ["onnx"], ["fp32"])


def test_rounds_alternate_after_warmup_and_use_the_clock() -> None:
    calls: list[str] = []
    # Round durations in ms: reference, row, reference, row, ...; the second round is hit by a burst of load.
    clock = FakeClock([x / 1000 for x in (10, 5, 30, 15, 10, 6)])
    runners = {"reference": Recorder("A", calls), "row": Recorder("B", calls)}
    timings = time_alternately(runners, {"reference": {}, "row": {}}, runs=3, warmup=1, clock=clock)
    assert "".join(calls) == "AB" * 4  # one untimed round, then three timed rounds, A B A B
    assert timings["reference"].latencies_ms == pytest.approx((10, 30, 10))
    assert timings["row"].latencies_ms == pytest.approx((5, 15, 6))
    assert all(timing.peak_rss_bytes > 0 for timing in timings.values())
    # Per-round ratios 2, 2, 1.67 -> median 2; the ratio of medians (10 / 6) would mix rounds.
    assert paired_speedup(timings["reference"], timings["row"]) == pytest.approx(2.0)


def test_paired_speedup_needs_paired_rounds() -> None:
    with pytest.raises(ValueError, match="same number of rounds"):
        paired_speedup(Timing("a", (1.0, 2.0), 0), Timing("b", (1.0,), 0))


def test_peak_rss_can_be_reset() -> None:
    if not reset_peak_rss():
        pytest.skip("this OS does not allow resetting the peak RSS")
    block = np.ones(64 * 2**20, np.uint8)  # +64 MiB resident
    peak_with_block = peak_rss_bytes()
    del block
    assert reset_peak_rss()
    assert peak_rss_bytes() < peak_with_block
    assert abs(peak_rss_bytes() - rss_bytes()) < 16 * 2**20


@pytest.fixture(scope="module")
def seg_reference() -> Reference:
    model = Weights("seg", arch=TINY_ARCH, seed=1).load(SIZE)
    return Reference(official_wrapper(model, SIZE))


def test_group_times_the_reference_alone_then_each_row_against_it(seg_reference: Reference) -> None:
    calls: list[str] = []
    real = seg_reference.runner
    seg_reference.runner = Recorder("R", calls, seg_reference.outputs[0])
    try:
        row_runner = Recorder("C", calls, seg_reference.outputs[0])
        spec = RowSpec("seg", SIZE, "fake", "fp32")
        results = bench_group(seg_reference, [(spec, lambda row: Opened(row_runner))], BenchSettings(runs=3, warmup=1, threads=1))
    finally:
        seg_reference.runner = real
    samples = len(seg_reference.samples(None))
    # Reference alone (1 warm-up + 3), the row's first call, then A B rounds (1 + 3), then the row on every fidelity sample.
    assert "".join(calls) == "R" * 4 + "C" + "RC" * 4 + "C" * samples
    reference, row = results
    assert reference.spec.is_reference and reference.speedup == 1.0 and len(reference.latency.latencies_ms) == 3
    assert row.status == "ok" and len(row.latency.latencies_ms) == len(row.reference_latency.latencies_ms) == 3
    expected = statistics.median(r / c for r, c in zip(row.reference_latency.latencies_ms, row.latency.latencies_ms))
    assert row.speedup == pytest.approx(expected)
    # The fake row returned the reference's first-sample outputs for every sample: exact on the first only.
    assert row.fidelity["cosine"] < 1.0 and row.fidelity["max_abs"] > 0


def test_rows_that_cannot_open_say_why_and_the_rest_still_run(seg_reference: Reference) -> None:
    def unavailable(row):
        row.artifact_bytes = 123  # what was learnt before the failure stays
        raise UserError("coremltools cannot run models on Linux")

    def crashing(row):
        raise RuntimeError("exporter exploded")

    calls: list[str] = []
    openers = [
        (RowSpec("seg", SIZE, "coreml", "fp32"), unavailable),
        (RowSpec("seg", SIZE, "broken", "fp32"), crashing),
        (RowSpec("seg", SIZE, "fine", "fp32"), lambda row: Opened(Recorder("C", calls, seg_reference.outputs[0]))),
    ]
    _, coreml, broken, fine = bench_group(seg_reference, openers, BenchSettings(runs=1, warmup=0, threads=1))
    assert (coreml.status, coreml.reason, coreml.artifact_bytes, coreml.latency) == (
        "unavailable",
        "coremltools cannot run models on Linux",
        123,
        None,
    )
    assert (broken.status, broken.reason) == ("failed", "RuntimeError: exporter exploded")
    assert fine.status == "ok" and fine.latency is not None


def test_torch_rows_share_the_reference_weights(seg_reference: Reference, tmp_path: Path) -> None:
    specs = expand_matrix(["seg"], [SIZE], ["torch"], ["fp32", "fp16"], ["sdpa", "tiled"])
    weights = {"seg": Weights("seg", arch=TINY_ARCH, seed=1)}
    report = run_matrix(specs, weights, BenchSettings(runs=2, warmup=0, batch=2, threads=1), BundleCache(tmp_path))
    rows = {row.spec.label: row for row in report.rows}
    assert list(rows) == ["torch fp32", "torch fp32 tiled", "torch fp16", "torch fp16 tiled"]
    reference, tiled = rows["torch fp32"], rows["torch fp32 tiled"]
    assert reference.fidelity["cosine"] == pytest.approx(1.0, abs=1e-12) and reference.throughput.batch == 2
    assert tiled.status == "ok" and tiled.fidelity["max_abs"] < 1e-5  # tiled attention is exact
    assert tiled.throughput.images_per_s == pytest.approx(2000 / tiled.throughput.timing.median_ms)
    parameters = sum(p.numel() * 4 for p in Weights("seg", arch=TINY_ARCH, seed=1).load(SIZE).parameters())
    assert reference.artifact_bytes == tiled.artifact_bytes == parameters
    assert rows["torch fp16"].status == "unavailable" and "torch fp16 needs a compile target" in rows["torch fp16"].reason
    assert not list(tmp_path.iterdir())  # torch rows compile no bundle


def test_torch_int8_rows_quantize_a_copy_with_torchao(tmp_path: Path) -> None:
    specs = expand_matrix(["seg"], [SIZE], ["torch", "torch-compile"], ["int8", "int8-weights", "int4-weights"])
    weights = {"seg": Weights("seg", arch=TINY_ARCH, seed=1)}
    report = run_matrix(specs, weights, BenchSettings(runs=2, warmup=0, threads=1), BundleCache(tmp_path))
    rows = {row.spec.label: row for row in report.rows}
    model = Weights("seg", arch=TINY_ARCH, seed=1).load(SIZE)
    linears = sum(m.weight.numel() * 4 for m in model.modules() if isinstance(m, torch.nn.Linear))
    assert rows["torch fp32"].fidelity["cosine"] == pytest.approx(1.0, abs=1e-12)  # the reference kept its fp32 weights
    for precision, scheme in (("int8", "torchao Int8DynamicActivationInt8Weight"), ("int8-weights", "torchao Int8WeightOnly")):
        row = rows[f"torch {precision}"]
        assert (row.status, row.quantization) == ("ok", scheme), row.reason
        assert 0.99 < row.fidelity["cosine"] < 1.0
        # int8 linear weights: a quarter, plus a scale and a zero point per output row
        assert rows["torch fp32"].artifact_bytes - 0.75 * linears < row.artifact_bytes < rows["torch fp32"].artifact_bytes - 0.7 * linears
        assert "torch-compile rows run fp32" in rows[f"torch-compile {precision}"].reason
    assert "int4-weights has no packed int4 CPU kernel" in rows["torch int4-weights"].reason
    assert report.to_dict()["rows"][1]["quantization"] == "torchao Int8DynamicActivationInt8Weight"  # in the schema


class StandInCompiled(torch.nn.Module):
    """torch.compile's stand-in: compiles on its first call (a known 0.3 s) and adds 10 % seeded noise to
    the outputs, so that the row's compile time and fidelity must come from this module, not the reference."""

    COMPILE_S, NOISE = 0.3, 0.1

    def __init__(self, module: torch.nn.Module) -> None:
        super().__init__()
        self.module, self.calls = module, 0

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if not self.calls:
            time.sleep(self.COMPILE_S)
        self.calls += 1
        noise = torch.Generator().manual_seed(0)
        return tuple(out + self.NOISE * out.std() * torch.randn(out.shape, generator=noise) for out in self.module(*inputs))


def test_torch_compile_row_records_its_compile_time_and_fidelity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A stand-in for torch.compile (the real one takes minutes on this machine: see the slow test)."""
    monkeypatch.setattr(torch, "compile", StandInCompiled)
    specs = expand_matrix(["seg"], [SIZE], ["torch-compile"], ["fp32"])
    report = run_matrix(specs, {"seg": Weights("seg", arch=TINY_ARCH, seed=1)}, BenchSettings(runs=1, warmup=0, threads=1), BundleCache(tmp_path))
    row = report.rows[1]
    assert (row.spec.target, row.status, row.runtime) == ("torch-compile", "ok", "torch-compile")
    assert row.compile_s >= StandInCompiled.COMPILE_S
    # Noise of 10 % of the output's spread: cosine about 1 / sqrt(1 + 0.1^2 * var / mean square) < 0.999.
    assert 0.98 < row.fidelity["cosine"] < 0.999


@pytest.mark.slow
def test_torch_compile_row_runs_for_real(tmp_path: Path) -> None:
    specs = expand_matrix(["seg"], [SIZE], ["torch-compile"], ["fp32"])
    report = run_matrix(specs, {"seg": Weights("seg", arch=TINY_ARCH, seed=1)}, BenchSettings(runs=2, warmup=1, threads=1), BundleCache(tmp_path))
    row = report.rows[1]
    assert row.status == "ok", row.reason
    assert row.fidelity["cosine"] > 0.99999


def test_cache_key_changes_with_weights_and_options(tmp_path: Path) -> None:
    cache = BundleCache(tmp_path)
    weights = Weights("seg", arch=TINY_ARCH, seed=1)
    options = CompileOptions(target="onnx", input_size=SIZE, threads=1)
    same = cache.path(weights, CompileOptions(target="onnx", input_size=SIZE, threads=1))
    assert cache.path(weights, options) == same and same.parent == tmp_path
    assert same.name.startswith("seg-onnx-fp32-sdpa-64x48-")
    others = {
        cache.path(Weights("seg", arch=TINY_ARCH, seed=2), options),
        cache.path(weights, CompileOptions(target="onnx", input_size=SIZE, threads=1, attention="tiled")),
        cache.path(weights, CompileOptions(target="onnx", input_size=SIZE, threads=1, dynamic_batch=True)),
        cache.path(weights, CompileOptions(target="openvino", input_size=SIZE, threads=1)),
    }
    assert same not in others and len(others) == 4
    assert BundleCache("~/bundles").root == Path.home() / "bundles"


class _StopAtCache:
    """A bundle cache that records the options it is asked for, then stops the row."""

    def __init__(self) -> None:
        self.asked: list[CompileOptions] = []

    def get(self, weights: Weights, options: CompileOptions, progress: object = None) -> None:
        self.asked.append(options)
        raise UserError("stop here")


def test_compile_options_declared_for_the_bench_reach_every_compiled_row() -> None:
    """A compile option declared for "bench" is a bench flag and reaches each row's CompileOptions (here deconv)."""
    import argparse

    from sapiens2.bench.openers import bundle_opener
    from sapiens2.bench.results import RowResult
    from sapiens2.cli.bench_cmd import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["bench", "--threads", "1"])
    declared = {f.name for f in compile_options.CompileOptions.__dataclass_fields__.values()
                if "bench" in getattr(f.metadata.get("flag"), "commands", ())}  # fmt: skip
    assert "threads" in declared and all(hasattr(args, name) for name in declared)  # every bench-declared field is a flag
    cache = _StopAtCache()
    settings = BenchSettings(runs=1, warmup=0, threads=1, compile_options={"deconv": "native"})
    spec = RowSpec("seg", SIZE, "onnx", "fp32")
    with pytest.raises(UserError, match="stop here"):
        bundle_opener(spec, Weights("seg", arch=TINY_ARCH, seed=1), cache, settings)(RowResult(spec))
    assert (cache.asked[0].deconv, cache.asked[0].threads) == ("native", 1)  # not ONNX's default phase form
