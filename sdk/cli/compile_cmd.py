"""``sapiens2 compile CHECKPOINT --target onnx|openvino|executorch|coreml``: export, verify against PyTorch, write a bundle.

Without a checkpoint, ``--arch A --task T --random-weights`` compiles official-init random weights
to try the toolchain (a loud warning; the manifest says ``"random_weights": true``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from ..compile import CompileOptions, compile_bundle, from_checkpoint, from_random_weights
from ..compile.heap import map_large_blocks
from ..compile.pipeline import ModelLoader
from ..models import TASKS, resolve_arch
from .errors import UserError
from .option_flags import add_option_flags, options_from_flags
from .stages import stage_progress, print_summary
from .outputs import check_bundle_destination

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
    parser.add_argument("--task", choices=TASKS, help="task (required with --random-weights; checked against a checkpoint)")
    parser.add_argument(
        "--arch",
        help="official size (sapiens2_0.1b ... sapiens2_5b) or five numbers embed,layers,heads,ffn,tokenizer_layers",
    )
    parser.add_argument("--random-weights", action="store_true", help="compile random weights instead of a checkpoint")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default 0)")
    add_option_flags(parser, "compile")
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


def run(args: argparse.Namespace) -> int:
    stderr = Console(stderr=True)
    if args.out is not None:
        check_bundle_destination(args.out, args.overwrite)
    load, name = model_loader(args, stderr)
    options = CompileOptions(**options_from_flags(args, "compile"))
    map_large_blocks()  # freed activations go back to the OS before the runtime verifies (compile/heap.py)
    height, width = options.input_size
    out = args.out or check_bundle_destination(Path(f"{name}-{options.target}-{options.precision}-{height}x{width}"), args.overwrite)
    with stage_progress(stderr) as on_stage:
        result = compile_bundle(
            load, options, out, progress=on_stage, overwrite=args.overwrite,
            explain=lambda line: stderr.print(line, markup=False, highlight=False),
        )
    print_summary(result.path, result.report)
    return 0
