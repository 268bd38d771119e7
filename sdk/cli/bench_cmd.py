"""``sapiens2 bench``: the deployment comparison (targets x precisions x sizes x attention) in one command.

Two forms: a matrix built from weights (``--checkpoint`` per task, or ``--arch A --tasks T
--random-weights``), whose bundles are compiled into a cache on the way; or ``BUNDLE...`` made by
``sapiens2 compile``. Either way each row is timed alternately with the PyTorch eager reference
(official numerics) on the same input with the same threads.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from ..bench import (
    BenchReport,
    BenchSettings,
    BundleCache,
    Weights,
    bench_precisions,
    bench_targets,
    expand_matrix,
    rich_table,
    run_bundles,
    run_matrix,
    to_json,
    write_charts,
    write_report,
)
from ..bench.cache import DEFAULT_CACHE
from ..bench.mediapipe_baseline import DEFAULT_VENV
from ..bench.settings import DEFAULT_RUNS, DEFAULT_VIDEO_FRAMES, DEFAULT_WARMUP
from ..bench.video_rows import SAMPLE_CLIP, bench_video
from ..bundle import read_bundle
from ..checkpoints import inspect_checkpoint
from ..models import ATTENTION_KINDS, TASKS
from .compile_cmd import parse_arch
from .stages import STAGE_LABELS
from .errors import UserError
from .option_flags import add_option_flags, options_from_flags
from .outputs import check_output_folder
from .progress import StepBar, step_bar
from .sizes import parse_size

DEFAULT_SIZES = "256x192"
PIPED_WIDTH = 220
DEFAULT_PRECISION = "fp32"
DEFAULT_ATTENTION = "sdpa"
MATRIX_OPTIONS = ("arch", "random_weights", "tasks", "targets", "precisions", "sizes", "attention")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="compare targets, precisions, sizes and attention modes against PyTorch eager",
        description=(
            "Time every row (a target x precision x input size x attention mode, or a given bundle) alternately "
            "with the PyTorch eager reference (official numerics) on the same input and threads; report latency, "
            "the paired speed-up, throughput, peak RSS, artifact size, compile time, fidelity and placement as a "
            "table, JSON and PNG charts. Rows that cannot run here say why."
        ),
    )
    parser.add_argument("bundles", nargs="*", metavar="BUNDLE", help="bundles made by `sapiens2 compile` (instead of a matrix)")
    parser.add_argument(
        "--checkpoint",
        action="append",
        default=[],
        help="a task checkpoint (repeat for several tasks); with BUNDLEs: the checkpoint a bundle came from, if it moved",
    )
    parser.add_argument("--arch", help="with --random-weights: official size or embed,layers,heads,ffn,tokenizer_layers")
    parser.add_argument("--random-weights", action="store_true", default=None, help="bench random weights (trying the toolchain)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    parser.add_argument("--tasks", "--task", type=_names, help=f"with --random-weights: tasks, comma-separated ({', '.join(TASKS)})")
    parser.add_argument("--targets", type=_names, help="comma-separated (default: every target: " + ", ".join(bench_targets()) + ")")
    parser.add_argument("--precisions", type=_names, help=f"comma-separated (default {DEFAULT_PRECISION}; known: " + ", ".join(bench_precisions()) + ")")
    parser.add_argument("--sizes", type=_sizes, help=f"HxW list, comma-separated (default {DEFAULT_SIZES})")
    parser.add_argument("--attention", type=_names, help=f"attention modes, comma-separated (default {DEFAULT_ATTENTION}; {', '.join(ATTENTION_KINDS)})")
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS, help=f"timed rounds per row (default {DEFAULT_RUNS})")
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP, help=f"untimed rounds first (default {DEFAULT_WARMUP})")
    parser.add_argument("--batch", type=int, default=1, help="also measure throughput at this batch size (default 1: no)")
    parser.add_argument(
        "--video",
        nargs="?",
        const=SAMPLE_CLIP,
        type=Path,
        help="also measure each row's frames/s on this clip: the video path (--batch frames per pass) and single-frame "
        "predict (no FILE: a clip of the packaged sample frames)",
    )
    parser.add_argument("--video-frames", type=int, default=DEFAULT_VIDEO_FRAMES, help=f"frames of the clip timed per round (default {DEFAULT_VIDEO_FRAMES})")
    add_option_flags(parser, "bench")  # --threads and any compile option declared for the bench
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help=f"compiled-bundle cache (default {DEFAULT_CACHE})")
    parser.add_argument("--out", type=Path, help="write bench.json, bench.md and the PNG charts into this folder")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")
    parser.add_argument("--mediapipe", action="store_true", help="add MediaPipe's pose landmarker and selfie segmenter rows")
    parser.add_argument(
        "--mediapipe-venv", type=Path, default=DEFAULT_VENV, help=f"MediaPipe's own virtual environment, made if missing (default {DEFAULT_VENV})"
    )
    parser.set_defaults(func=run)


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _sizes(text: str) -> list[tuple[int, int]]:
    return [parse_size(part) for part in _names(text)]


def run(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True)
    if args.out is not None:
        check_output_folder(args.out)
    declared = options_from_flags(args, "bench")
    threads = declared.pop("threads")
    with bench_video(args.video) as video:
        mediapipe_venv = args.mediapipe_venv if args.mediapipe else None
        settings = BenchSettings(args.runs, args.warmup, args.batch, threads, mediapipe_venv, declared, video, args.video_frames)
        report = bench(args, settings, stderr)
    emit(report, args, stderr)
    return 0


def bench(args: argparse.Namespace, settings: BenchSettings, stderr: Console) -> BenchReport:
    """The given bundles, or the matrix the options describe."""
    if args.bundles:
        given = [f"--{name.replace('_', '-')}" for name in MATRIX_OPTIONS if getattr(args, name) is not None]
        if given:
            raise UserError(f"{', '.join(given)} build a matrix from weights; with BUNDLEs the bundles are the rows")
        bundles = [read_bundle(path) for path in args.bundles]
        with bench_progress(stderr) as progress:
            return run_bundles(bundles, settings, args.checkpoint, progress)
    weights = matrix_weights(args, stderr)
    specs = expand_matrix(
        list(weights),
        args.sizes or _sizes(DEFAULT_SIZES),
        args.targets or list(bench_targets()),
        args.precisions or [DEFAULT_PRECISION],
        args.attention or [DEFAULT_ATTENTION],
    )
    with bench_progress(stderr) as progress:
        return run_matrix(specs, weights, settings, BundleCache(args.cache), progress)



def matrix_weights(args: argparse.Namespace, stderr: Console) -> dict[str, Weights]:
    """Task -> weights: each checkpoint names its own task; random weights cover ``--tasks``."""
    if args.random_weights:
        if args.checkpoint:
            raise UserError("give either --checkpoint or --random-weights, not both")
        if not args.arch or not args.tasks:
            raise UserError("--random-weights needs --arch and --tasks (e.g. --arch sapiens2_0.1b --tasks pose,seg)")
        arch = parse_arch(args.arch)
        stderr.print("[bold red]WARNING: benchmarking RANDOM weights[/]: speed and memory are real, fidelity figures are only indicative.")
        return {task: Weights(task, arch=arch, seed=args.seed) for task in dict.fromkeys(args.tasks)}
    if not args.checkpoint:
        raise UserError("nothing to bench: give BUNDLEs, --checkpoint C (once per task), or --arch A --tasks T --random-weights")
    if args.tasks or args.arch:
        raise UserError("--tasks and --arch go with --random-weights; a checkpoint holds its own task and arch")
    weights: dict[str, Weights] = {}
    for path in args.checkpoint:
        task = inspect_checkpoint(path).layout.task
        if task is None:
            raise UserError(f"{path} holds a backbone without a task head: bench a task checkpoint (pose, seg, ...)")
        if task in weights:
            raise UserError(f"two {task} checkpoints ({weights[task].checkpoint} and {path}): give one per task")
        weights[task] = Weights(task, checkpoint=path)
    return weights


def emit(report: BenchReport, args: argparse.Namespace, stderr: Console) -> None:
    """The table (or JSON) on stdout; with --out, bench.json, bench.md and the charts there."""
    if args.json:
        sys.stdout.write(to_json(report))
    else:
        # Piped output gets the whole table rather than a terminal's 80 columns.
        Console(width=None if sys.stdout.isatty() else PIPED_WIDTH).print(rich_table(report))
    if args.out is not None:
        paths = {**write_report(report, args.out), **write_charts(report, args.out)}
        stderr.print("wrote " + ", ".join(str(path) for path in paths.values()))


class _BarHook:
    """``ProgressHook`` on a step bar: one step per row, the compile stage in the description."""

    def __init__(self, bar: StepBar) -> None:
        self.bar = bar
        self.label = ""
        self.started = False

    def expect(self, rows: int) -> None:
        self.bar.set_total(rows)

    def row(self, label: str) -> None:
        if self.started:
            self.bar.advance()
        self.started, self.label = True, label
        self.bar.step(label)

    def stage(self, stage: str) -> None:
        self.bar.step(f"{self.label}: {STAGE_LABELS.get(stage, stage)}")


@contextmanager
def bench_progress(console: Console) -> Iterator[_BarHook]:
    with step_bar(console) as bar:
        yield _BarHook(bar)
