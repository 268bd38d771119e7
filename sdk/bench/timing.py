"""Alternating (A B A B) timing of several runners on one input in one process, and paired ratios.

Alternating makes every runner see the same machine load (other jobs, thermal state), so ratios
between them stay meaningful on a shared machine. Peak RSS is the process's peak during each
runner's calls (the kernel mark is reset before every call), so it includes everything resident;
see ``memory``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .memory import peak_rss_bytes, reset_peak_rss

Batch = Mapping[str, np.ndarray]
Clock = Callable[[], float]


class Runner(Protocol):
    """Anything with ``run(batch) -> outputs``: a bundle ``Runtime``, a torch module runner, MediaPipe."""

    name: str

    def run(self, batch: Batch) -> Mapping[str, np.ndarray]: ...


@dataclass(frozen=True)
class Timing:
    """Latencies of one runner, in the order they were taken, and its peak RSS during them."""

    name: str
    latencies_ms: tuple[float, ...]
    peak_rss_bytes: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def min_ms(self) -> float:
        return min(self.latencies_ms)

    @property
    def max_ms(self) -> float:
        return max(self.latencies_ms)


def time_alternately(
    runners: Mapping[str, Runner], batches: Mapping[str, Batch], runs: int, warmup: int, clock: Clock = time.perf_counter
) -> dict[str, Timing]:
    """``warmup`` untimed rounds, then ``runs`` timed rounds, each round calling every runner once in
    turn on its own batch (the same images, in the layout each runner takes)."""
    if runs < 1 or warmup < 0:
        raise ValueError(f"runs must be >= 1 and warmup >= 0, got {runs} and {warmup}")
    for _ in range(warmup):
        for label, runner in runners.items():
            runner.run(batches[label])
    latencies: dict[str, list[float]] = {label: [] for label in runners}
    peaks = dict.fromkeys(runners, 0)
    for _ in range(runs):
        for label, runner in runners.items():
            reset_peak_rss()
            start = clock()
            runner.run(batches[label])
            latencies[label].append((clock() - start) * 1000)
            peaks[label] = max(peaks[label], peak_rss_bytes())
    return {label: Timing(label, tuple(latencies[label]), peaks[label]) for label in runners}


def paired_speedup(reference: Timing, candidate: Timing) -> float:
    """How many times faster the candidate is: the median over rounds of reference_i / candidate_i.

    Both calls of a round run back to back, so a burst of load from other jobs slows both and
    cancels in their ratio; the median then drops the rounds where a burst hit only one of them.
    A ratio of medians would instead compare rounds taken at different moments.
    """
    if len(reference.latencies_ms) != len(candidate.latencies_ms):
        raise ValueError("paired timings need the same number of rounds")
    return statistics.median(ref / cand for ref, cand in zip(reference.latencies_ms, candidate.latencies_ms))
