"""``sapiens2 quantize BUNDLE --precision int8|int8-weights|int4-weights``: a quantized bundle from a float one.

Also home of the quantization flags ``sapiens2 compile`` shares (``add_quantization_arguments``)
and of the accuracy line both commands print.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..compile.options import DEFAULT_CALIBRATION_SIZE, DEFAULT_FLOAT_BUDGET, QUANTIZED_PRECISIONS
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
    add_quantization_arguments(parser)
    parser.add_argument("--threads", type=int, default=2, help="runtime threads during verification (default 2)")
    parser.add_argument("--out", type=Path, help="bundle directory (default: BUNDLE-PRECISION next to BUNDLE)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing bundle at --out")
    parser.set_defaults(func=run)


def add_quantization_arguments(parser: argparse.ArgumentParser) -> None:
    """Calibration, sensitivity-scan and accuracy-gate flags (they apply to the quantized precisions)."""
    group = parser.add_argument_group("quantization (--precision int8, int8-weights, int4-weights)")
    group.add_argument(
        "--calibration",
        metavar="DIR_OR_VIDEO",
        help="images and/or videos of people to calibrate on (default: the shared sample images and vtest.avi frames)",
    )
    group.add_argument(
        "--calibration-size",
        type=int,
        default=DEFAULT_CALIBRATION_SIZE,
        metavar="N",
        help=f"model inputs to calibrate on; person crops for pose (default {DEFAULT_CALIBRATION_SIZE}; "
        "a source with fewer gives each of its inputs once)",
    )
    group.add_argument(
        "--float-budget",
        type=float,
        default=DEFAULT_FLOAT_BUDGET,
        help=f"share of the weights the sensitivity scan may keep in float (default {DEFAULT_FLOAT_BUDGET}; 0 skips the scan)",
    )
    group.add_argument("--min-feature-cosine", type=float, help="accuracy gate: backbone-feature cosine vs fp32")
    group.add_argument("--min-pck", type=float, help="accuracy gate (pose): PCK@0.05 against the fp32 keypoints")
    group.add_argument("--min-pixel-agreement", type=float, help="accuracy gate (seg): share of pixels labelled as fp32")
    group.add_argument("--min-miou", type=float, help="accuracy gate (seg): mIoU against the fp32 labels")


def quantization_options(args: argparse.Namespace) -> dict[str, Any]:
    """The ``CompileOptions`` fields the quantization flags set."""
    return {
        "calibration": args.calibration,
        "calibration_size": args.calibration_size,
        "float_budget": args.float_budget,
        "min_feature_cosine": args.min_feature_cosine,
        "min_pck": args.min_pck,
        "min_pixel_agreement": args.min_pixel_agreement,
        "min_miou": args.min_miou,
    }


def accuracy_lines(report: dict[str, Any]) -> list[str]:
    """What quantizing kept in float and how close the result is to fp32 (nothing for float bundles)."""
    if "accuracy" not in report:
        return []
    quantization, accuracy = report["quantization"], report["accuracy"]
    kept = ", ".join(quantization["kept_in_float"]) or "none"
    summary = ", ".join(f"{key} {value:.5g}" for key, value in accuracy["summary"].items())
    calibration = quantization.get("calibration") or {}
    used, requested = calibration.get("size"), calibration.get("requested", calibration.get("size"))
    return [
        f"quantization: {quantization['scheme']} ({quantization['tool']}); kept in float: {kept}",
        f"calibrated on {used} distinct input(s)"
        + (f" ({requested} requested; the calibration source has no more)" if used != requested else ""),
        f"accuracy vs fp32 on {len(accuracy['images'])} held-out images: {summary}",
    ]


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ..quantize.derive import quantize_bundle
    from .compile_cmd import print_summary, stage_progress  # compile_cmd imports this module: import at run time

    out = args.out or args.bundle.with_name(f"{args.bundle.name}-{args.precision}")
    if out.absolute() != args.bundle.absolute():  # --out BUNDLE itself gets quantize_bundle's own refusal
        check_bundle_destination(out, args.overwrite)
    with stage_progress(Console(stderr=True)) as on_stage:
        result = quantize_bundle(
            args.bundle, out, args.precision, checkpoint=args.checkpoint, progress=on_stage, overwrite=args.overwrite,
            threads=args.threads, **quantization_options(args),
        )  # fmt: skip
    print_summary(result.path, result.report)
    return 0

