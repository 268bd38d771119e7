"""Bundle runtime vs PyTorch eager on the same input, run alternately (A B A B) in one process.

Alternating makes both sides see the same machine load (other jobs, thermal state), so their ratio
is meaningful even on a shared machine. Both get the same number of threads. Peak RSS is the
process's peak during each runtime's calls (the kernel mark is reset before every call), so it
includes everything resident, both models among it; the difference between the two is what the
runtime's working memory adds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..bundle import read_bundle
from ..compile.fidelity import compare, summarize
from ..compile.samples import fidelity_samples
from ..targets import Runtime, open_verified
from .memory import peak_rss_bytes, reset_peak_rss

DEFAULT_RUNS = 10
DEFAULT_WARMUP = 2
DEFAULT_THREADS = 2


@dataclass(frozen=True)
class RuntimeTiming:
    name: str
    latencies_ms: tuple[float, ...]
    peak_rss_bytes: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def min_ms(self) -> float:
        return min(self.latencies_ms)


def time_alternately(
    runtimes: Mapping[str, Runtime], batch: Mapping[str, np.ndarray], runs: int, warmup: int
) -> dict[str, RuntimeTiming]:
    """``warmup`` untimed rounds, then ``runs`` timed rounds, each round calling every runtime once in turn."""
    if runs < 1 or warmup < 0:
        raise ValueError(f"runs must be >= 1 and warmup >= 0, got {runs} and {warmup}")
    for _ in range(warmup):
        for runtime in runtimes.values():
            runtime.run(batch)
    latencies: dict[str, list[float]] = {label: [] for label in runtimes}
    peaks = dict.fromkeys(runtimes, 0)
    for _ in range(runs):
        for label, runtime in runtimes.items():
            reset_peak_rss()
            start = time.perf_counter()
            runtime.run(batch)
            latencies[label].append((time.perf_counter() - start) * 1000)
            peaks[label] = max(peaks[label], peak_rss_bytes())
    return {label: RuntimeTiming(label, tuple(latencies[label]), peaks[label]) for label in runtimes}


@dataclass(frozen=True)
class BenchResult:
    bundle: str
    task: str
    target: str
    precision: str
    input_shape: tuple[int, ...]
    input_sample: str
    threads: int
    runs: int
    warmup: int
    bundle_runtime: RuntimeTiming
    eager: RuntimeTiming
    artifact_bytes: int
    agreement: dict[str, float]

    @property
    def speedup(self) -> float:
        """How many times faster the bundle runtime is than PyTorch eager (median over median)."""
        return self.eager.median_ms / self.bundle_runtime.median_ms

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("bundle_runtime", "eager"):
            timing: RuntimeTiming = getattr(self, key)
            data[key] |= {"median_ms": timing.median_ms, "min_ms": timing.min_ms}
        data["speedup"] = self.speedup
        return data


def bench_bundle(
    path: str | Path,
    runs: int = DEFAULT_RUNS,
    warmup: int = DEFAULT_WARMUP,
    threads: int = DEFAULT_THREADS,
    checkpoint: str | Path | None = None,
) -> BenchResult:
    """Open a bundle and its eager reference (rebuilt from the manifest's source) and time them alternately.

    The input is the first real image of the fidelity set (random when none is found), prepared
    the way the bundle expects it.
    """
    bundle = read_bundle(path)
    manifest = bundle.manifest
    runtime = open_verified(bundle, threads=threads)
    eager = open_verified(bundle, "torch", threads=threads, checkpoint=checkpoint)
    preprocess = manifest.inputs[0].layout if manifest.export.in_graph_preprocess else None
    sample = fidelity_samples(manifest.task, manifest.export.input_size, preprocess)[0]
    batch = {manifest.input_names[0]: sample.array}
    timings = time_alternately({runtime.name: runtime, eager.name: eager}, batch, runs, warmup)
    return BenchResult(
        bundle=str(bundle.path),
        task=manifest.task,
        target=manifest.target,
        precision=manifest.precision,
        input_shape=tuple(sample.array.shape),
        input_sample=sample.name,
        threads=threads,
        runs=runs,
        warmup=warmup,
        bundle_runtime=timings[runtime.name],
        eager=timings[eager.name],
        artifact_bytes=manifest.artifact_bytes,
        agreement=summarize([compare(manifest.task, eager.run(batch), runtime.run(batch))]),
    )
