"""Benchmark harness: a bundle's runtime against PyTorch eager, alternately in one process."""

from .harness import BenchResult, RuntimeTiming, bench_bundle, time_alternately
from .memory import peak_rss_bytes, reset_peak_rss, rss_bytes

__all__ = ["BenchResult", "RuntimeTiming", "bench_bundle", "peak_rss_bytes", "reset_peak_rss", "rss_bytes", "time_alternately"]
