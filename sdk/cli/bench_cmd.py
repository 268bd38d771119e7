"""``sapiens2 bench BUNDLE``: the bundle's runtime vs PyTorch eager, alternately, same input and threads."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from ..bench import BenchResult, bench_bundle
from ..bench.harness import DEFAULT_RUNS, DEFAULT_THREADS, DEFAULT_WARMUP
from .errors import UserError
from .inspect_cmd import format_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time a bundle's runtime against PyTorch eager on the same input",
        description=(
            "Run the bundle's runtime and the PyTorch eager reference (rebuilt from the manifest's source) "
            "alternately in one process on the same input with the same threads; report median latency, "
            "their ratio, peak RSS and artifact size."
        ),
    )
    parser.add_argument("bundle", help="bundle directory made by `sapiens2 compile`")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"timed rounds (default {DEFAULT_RUNS})")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help=f"untimed rounds first (default {DEFAULT_WARMUP})")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS, help=f"threads for each side (default {DEFAULT_THREADS})")
    parser.add_argument("--checkpoint", help="the source checkpoint, if it moved since the bundle was compiled")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.runs < 1 or args.warmup < 0 or args.threads < 1:
        raise UserError(f"--runs and --threads must be >= 1 and --warmup >= 0, got {args.runs}, {args.threads}, {args.warmup}")
    result = bench_bundle(args.bundle, args.runs, args.warmup, args.threads, args.checkpoint)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        Console().print(result_table(result))
    return 0


def result_table(result: BenchResult) -> Table:
    """One row per runtime: median/min latency, peak RSS; the ratio and the sizes in the caption."""
    table = Table(title=f"{result.bundle} ({result.task}, {result.target} {result.precision})", title_justify="left")
    for column in ("runtime", "median ms", "min ms", "peak RSS", "vs eager"):
        table.add_column(column, justify="left" if column == "runtime" else "right")
    for timing in (result.bundle_runtime, result.eager):
        ratio = result.eager.median_ms / timing.median_ms
        table.add_row(timing.name, f"{timing.median_ms:.1f}", f"{timing.min_ms:.1f}", format_bytes(timing.peak_rss_bytes), f"{ratio:.2f}x")
    agreement = ", ".join(f"{key} {value:.6g}" for key, value in result.agreement.items())
    table.caption = (
        f"input {result.input_sample} {result.input_shape}, {result.threads} threads each, {result.runs} runs alternately "
        f"after {result.warmup} warm-up; artifact {format_bytes(result.artifact_bytes)}; outputs vs eager: {agreement}"
    )
    return table
