"""``sapiens2 bench``: targets x precisions x sizes x attention modes against the PyTorch reference.

``matrix`` expands the request into rows, ``cache`` keeps compiled bundles between runs,
``openers`` opens each kind of row, ``runner`` times each row alternately with the group's
``reference`` (A B A B) and compares their outputs, ``report`` and ``charts`` turn the
``BenchReport`` into tables, JSON and PNGs, and ``mediapipe_baseline`` adds MediaPipe's own
models as an outside baseline. ``video_smoothing`` (jitter and lag of the One-Euro smoothing, on
synthetic truth and on MediaPipe landmarks of real footage) and ``video_throughput`` (frames/s of
the video path against single-frame predict) measure the video mode (docs/video.md); ``video_rows``
puts the latter into every row of ``sapiens2 bench --video``.
"""

from .cache import BundleCache
from .charts import write_charts
from .matrix import RowSpec, bench_precisions, bench_targets, expand_matrix
from .memory import peak_rss_bytes, reset_peak_rss, rss_bytes
from .report import rich_table, to_json, write_report
from .results import BENCH_SCHEMA, BenchReport, RowResult, validate_report
from .runner import run_bundles, run_matrix
from .settings import BenchSettings
from .timing import Timing, paired_speedup, time_alternately
from .weights import Weights

__all__ = [
    "BENCH_SCHEMA",
    "BenchReport",
    "BenchSettings",
    "BundleCache",
    "RowResult",
    "RowSpec",
    "Timing",
    "Weights",
    "bench_precisions",
    "bench_targets",
    "expand_matrix",
    "paired_speedup",
    "peak_rss_bytes",
    "reset_peak_rss",
    "rich_table",
    "rss_bytes",
    "run_bundles",
    "run_matrix",
    "time_alternately",
    "to_json",
    "validate_report",
    "write_charts",
    "write_report",
]
