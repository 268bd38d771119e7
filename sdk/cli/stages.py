"""What ``sapiens2 compile`` and ``sapiens2 quantize`` show: a progress bar over the stages, then the summary."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console

from .inspect_cmd import format_bytes
from .progress import step_bar

STAGE_LABELS = {
    "load": "build/load the model",
    "calibrate": "calibration data and sensitivity scan",
    "export": "export the artifact",
    "quantize": "quantize with the target's tool",
    "verify": "verify against PyTorch",
    "accuracy": "accuracy gate on held-out images",
    "write": "write the bundle",
}


@contextmanager
def stage_progress(console: Console) -> Iterator[Callable[[str], None]]:
    """A progress bar over the compile stages; yields the callback the pipeline calls per stage."""
    with step_bar(console, total=len(STAGE_LABELS)) as bar:
        seen: list[str] = []

        def on_stage(stage: str) -> None:
            bar.step(STAGE_LABELS[stage], completed=len(seen))
            seen.append(stage)

        yield on_stage


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


def print_summary(path: Path, report: dict[str, Any]) -> None:
    """Where the bundle is, how big, how faithful, how long it took."""
    ref, official = report["summary"]["vs_reference"], report["summary"]["vs_official"]
    lines = [
        f"bundle: {path}",
        *([f"precision: auto chose {report['precision']} ({report['precision_choice']['reason']})"] if "precision_choice" in report else []),
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
