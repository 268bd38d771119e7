"""``sapiens2 quantize BUNDLE --precision int8|int8-weights|int4-weights``: a quantized bundle from a float one.

Its option flags (calibration, sensitivity scan, accuracy gates, threads) come from the same
declaration as ``sapiens2 compile``'s (``option_flags``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..compile.options import QUANTIZED_PRECISIONS
from .option_flags import add_option_flags, options_from_flags
from .stages import print_summary, stage_progress
from .outputs import check_bundle_destination


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quantize",
        help="derive an int8 / 4-bit bundle from an fp32 ONNX Runtime or OpenVINO bundle, or an fp16 Core ML one",
        description=(
            "Calibrate on human images, keep the layers that quantize badly in float, quantize the float bundle's "
            "artifact with its target's own tool, check it against fp32 on held-out images (the command fails below "
            "the accuracy thresholds and keeps the report) and write a new bundle."
        ),
    )
    parser.add_argument("bundle", type=Path, help="a float bundle made by `sapiens2 compile` (fp32; Core ML: its default fp16)")
    parser.add_argument("--precision", required=True, choices=QUANTIZED_PRECISIONS, help="quantization scheme")
    parser.add_argument("--checkpoint", help="the bundle's checkpoint, if it moved since the bundle was compiled")
    add_option_flags(parser, "quantize")
    parser.add_argument("--out", type=Path, help="bundle directory (default: BUNDLE-PRECISION next to BUNDLE)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing bundle at --out")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ..compile.derive import quantize_bundle

    out = args.out or args.bundle.with_name(f"{args.bundle.name}-{args.precision}")
    if out.absolute() != args.bundle.absolute():  # --out BUNDLE itself gets quantize_bundle's own refusal
        check_bundle_destination(out, args.overwrite)
    with stage_progress(Console(stderr=True)) as on_stage:
        result = quantize_bundle(
            args.bundle, out, args.precision, checkpoint=args.checkpoint, progress=on_stage, overwrite=args.overwrite,
            **options_from_flags(args, "quantize"),
        )  # fmt: skip
    print_summary(result.path, result.report)
    return 0

