"""``sapiens2 compile CHECKPOINT --target onnx|openvino|executorch|coreml``: export, verify against PyTorch, write a bundle.

Without a checkpoint, ``--arch A --task T --random-weights`` compiles official-init random weights
to try the toolchain (a loud warning; the manifest says ``"random_weights": true``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from ..compile import (
    CompileOptions,
    compile_bundle,
    from_checkpoint,
    from_random_weights,
    parse_input_size,
)
from ..compile.options import (
    DECONV_FORMS,
    DEFAULT_TILE_SIZE,
    DEFAULT_WINDOW,
    PRECISIONS,
    PREPROCESS_LAYOUTS,
    TARGETS,
)
from ..compile.executorch import EXTRA_PARTITIONERS
from ..compile.pipeline import ModelLoader
from ..models import ATTENTION_KINDS, TASKS, resolve_arch
from .errors import UserError
from .inspect_cmd import format_bytes
from .outputs import check_bundle_destination
from .progress import step_bar
from .quantize_cmd import accuracy_lines, add_quantization_arguments, quantization_options

STAGE_LABELS = {
    "load": "build/load the model",
    "calibrate": "calibration data and sensitivity scan",
    "export": "export the artifact",
    "quantize": "quantize with the target's tool",
    "verify": "verify against PyTorch",
    "accuracy": "accuracy gate on held-out images",
    "write": "write the bundle",
}
ARCH_NUMBERS = ("embed_dims", "num_layers", "num_heads", "feedforward_channels", "num_tokenizer_layers")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compile",
        help="export a task model to ONNX Runtime, OpenVINO, ExecuTorch or Core ML as a verified bundle",
        description=(
            "Wrap the model at a fixed input size, export it, check the artifact against PyTorch on real and random "
            "images (the compile fails below --min-cosine), and write a bundle: artifact + manifest.json + report.json."
        ),
    )
    parser.add_argument("checkpoint", nargs="?", help="task checkpoint (.safetensors, .pth, folder, or hf://org/repo/file)")
    parser.add_argument("--target", required=True, choices=TARGETS, help="runtime to compile for")
    parser.add_argument("--task", choices=TASKS, help="task (required with --random-weights; checked against a checkpoint)")
    parser.add_argument(
        "--arch",
        help="official size (sapiens2_0.1b ... sapiens2_5b) or five numbers embed,layers,heads,ffn,tokenizer_layers",
    )
    parser.add_argument("--random-weights", action="store_true", help="compile random weights instead of a checkpoint")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    parser.add_argument("--input-size", default="1024x768", help="HEIGHTxWIDTH, multiples of 16 (default 1024x768)")
    parser.add_argument("--precision", choices=PRECISIONS, help="fp32 (default; Core ML: fp16), fp16, bf16 (OpenVINO), or quantized: int8, int8-weights, int4-weights")
    parser.add_argument("--attention", choices=ATTENTION_KINDS, default="sdpa", help="sdpa (reference), tiled (exact, less memory), windowed (approximate)")
    parser.add_argument("--tile-size", type=int, default=DEFAULT_TILE_SIZE, help=f"query tile of --attention tiled (default {DEFAULT_TILE_SIZE})")
    parser.add_argument("--window", type=int, default=DEFAULT_WINDOW, help=f"window (patches) of --attention windowed (default {DEFAULT_WINDOW})")
    parser.add_argument(
        "--in-graph-preprocess",
        nargs="?",
        const="NHWC",
        choices=PREPROCESS_LAYOUTS,
        help="take uint8 RGB pixels (NHWC by default, or NCHW) and normalise inside the graph",
    )
    parser.add_argument(
        "--decode",
        nargs="?",
        const="only",
        default="none",
        choices=("only", "beside"),
        help="decode in the graph (seg: labels, pose: peaks + scores); 'beside' keeps the raw outputs too",
    )
    parser.add_argument("--dynamic-batch", action="store_true", help="leave the batch dimension free")
    parser.add_argument(
        "--deconv",
        choices=DECONV_FORMS,
        help="export the heads' stride-2 transposed convs as they are, or as one plain conv over the four output phases "
        "(same function, faster in ONNX Runtime and int8-quantizable there); default: phase for onnx, native elsewhere",
    )
    parser.add_argument("--min-cosine", type=float, help="fidelity gate (default 0.9999 for fp32, 0.999 for fp16/bf16)")
    parser.add_argument(
        "--optimize-graph", action="store_true", help="ONNX: tidy the graph with onnxscript's optimizer (slower export, same speed)"
    )
    parser.add_argument(
        "--allow-portable",
        action="store_true",
        help="ExecuTorch: accept network operators left on portable CPU kernels (refused by default: a silent slowdown on phones)",
    )
    parser.add_argument(
        "--also-partitioner",
        action="append",
        default=[],
        choices=EXTRA_PARTITIONERS,
        help="ExecuTorch: also write model.<name>.pte for this delegate (repeatable; cannot run here, marked unverified)",
    )
    parser.add_argument("--threads", type=int, default=2, help="runtime threads during verification (default 2)")
    add_quantization_arguments(parser)
    parser.add_argument("--out", type=Path, help="bundle directory (default: named after the model and options)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing bundle at --out")
    parser.set_defaults(func=run)


def parse_arch(text: str) -> str | dict[str, int]:
    """An official name, or ``embed,layers,heads,ffn,tokenizer_layers``; checked against the zoo rules."""
    value: str | dict[str, int] = text
    if "," in text:
        try:
            numbers = [int(part) for part in text.split(",")]
        except ValueError:
            numbers = []
        if len(numbers) != len(ARCH_NUMBERS):
            raise UserError(f"--arch {text!r}: give an official name or five integers {','.join(ARCH_NUMBERS)}")
        value = dict(zip(ARCH_NUMBERS, numbers))
    try:
        resolve_arch(value)
    except ValueError as error:
        raise UserError(f"--arch {text!r}: {error}") from None
    return value


def model_loader(args: argparse.Namespace, stderr: Console) -> tuple[ModelLoader, str]:
    """The loader for the requested weights and a default bundle name."""
    arch = parse_arch(args.arch) if args.arch else None
    if args.random_weights:
        if args.checkpoint:
            raise UserError("give either a CHECKPOINT or --random-weights, not both")
        if arch is None or args.task is None:
            raise UserError("--random-weights needs --arch and --task (e.g. --arch sapiens2_0.1b --task pose)")
        stderr.print(
            "[bold red]WARNING: compiling RANDOM weights[/] (--random-weights): the bundle predicts nothing useful; "
            'it only exercises the toolchain. Its manifest says "random_weights": true.'
        )
        name = arch if isinstance(arch, str) else "custom"
        return from_random_weights(args.task, arch, args.seed), f"random-{name}-{args.task}"
    if not args.checkpoint:
        raise UserError(
            "no CHECKPOINT given: pass a task checkpoint, or --arch A --task T --random-weights to try random weights"
        )
    return from_checkpoint(args.checkpoint, args.task, arch), Path(str(args.checkpoint).rstrip("/")).name.split(".safetensors")[0]


@contextmanager
def stage_progress(console: Console) -> Iterator[Callable[[str], None]]:
    """A progress bar over the compile stages; yields the callback the pipeline calls per stage."""
    with step_bar(console, total=len(STAGE_LABELS)) as bar:
        seen: list[str] = []

        def on_stage(stage: str) -> None:
            bar.step(STAGE_LABELS[stage], completed=len(seen))
            seen.append(stage)

        yield on_stage


def run(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True)
    if args.out is not None:
        check_bundle_destination(args.out, args.overwrite)
    load, name = model_loader(args, stderr)
    options = CompileOptions(
        target=args.target,
        input_size=parse_input_size(args.input_size),
        precision=args.precision,
        attention=args.attention,
        tile_size=args.tile_size,
        window=args.window,
        in_graph_preprocess=args.in_graph_preprocess,
        decode=args.decode,
        dynamic_batch=args.dynamic_batch,
        min_cosine=args.min_cosine,
        threads=args.threads,
        optimize_graph=args.optimize_graph,
        deconv=args.deconv,
        allow_portable=args.allow_portable,
        also_partitioners=tuple(dict.fromkeys(args.also_partitioner)),
        **quantization_options(args),
    )
    height, width = options.input_size
    out = args.out or check_bundle_destination(Path(f"{name}-{options.target}-{options.precision}-{height}x{width}"), args.overwrite)
    with stage_progress(stderr) as on_stage:
        result = compile_bundle(load, options, out, progress=on_stage, overwrite=args.overwrite)
    print_summary(result.path, result.report)
    return 0


def print_summary(path: Path, report: dict[str, Any]) -> None:
    """Where the bundle is, how big, how faithful, how long it took."""
    ref, official = report["summary"]["vs_reference"], report["summary"]["vs_official"]
    lines = [
        f"bundle: {path}",
        f"artifact: {', '.join(report['artifacts'])} ({format_bytes(report['artifact_bytes'])})",
        f"fidelity vs PyTorch ({len(report['samples'])} inputs, {len(report['real_images'])} real): "
        + ", ".join(f"{key} {value:.6g}" for key, value in ref.items()),
        "vs official bf16-RoPE numerics: " + ", ".join(f"{key} {value:.6g}" for key, value in official.items()),
        *accuracy_lines(report),
        f"compile time: {report['compile_s']:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in report['timings_s'].items())})",
    ]
    if not report["real_images"]:
        lines.append(f"note: no real images found under {report['data_dir']} (set SAPIENS2_DATA); checked on random inputs only")
    if report["random_weights"]:
        lines.append("WARNING: random weights")
    print("\n".join(lines), file=sys.stdout)
