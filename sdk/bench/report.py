"""A benchmark report as text: a rich table for the terminal, Markdown tables for docs, and JSON.

Both tables come from ``table_sections``, so the terminal and ``docs/benchmarks.md`` show the same
columns with the same rounding, one section per (task, size) group.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from rich.table import Table
from sapiens2.results.storage import atomic_write

from .ceilings import GEMM_SHAPE
from .fastest import fastest_sentence
from .results import REPORT_FIDELITY, BenchReport, RowResult

JSON_NAME = "bench.json"
MARKDOWN_NAME = "bench.md"
REASON_CHARS = 90

Section = tuple[str, list[list[str]]]


def headers(report: BenchReport) -> list[str]:
    batch = report.settings["batch"]
    columns = ["row", "median ms", "min-max ms", "vs eager"]
    columns += [f"img/s @{batch}", f"vs eager @{batch}"] if batch > 1 else []
    columns += ["1-frame fps", f"video fps @{batch}"] if report.settings.get("video") else []
    columns += ["GOP/s", "of ceiling"]
    return columns + ["peak RSS", "added RSS", "artifact", "compile s", "1 - cos", "agreement", "delegated", "note"]


def table_sections(report: BenchReport) -> list[Section]:
    """One (title, rows of cells) per group, in report order."""
    batch = report.settings["batch"]
    groups = itertools.groupby(report.rows, key=lambda row: row.spec.group)
    video = bool(report.settings.get("video"))
    return [(f"{task} {size[0]}x{size[1]}", [_cells(row, batch, video) for row in rows]) for (task, size), rows in groups]


def _cells(row: RowResult, batch: int, video: bool) -> list[str]:
    latency, throughput = row.latency, row.throughput
    cells = [
        row.spec.label,
        _number(latency and latency.median_ms, "{:.1f}"),
        f"{latency.min_ms:.1f}-{latency.max_ms:.1f}" if latency else "-",
        _number(row.speedup, "{:.2f}x"),
    ]
    if batch > 1:
        cells += [
            _number(throughput and throughput.images_per_s, "{:.2f}"),
            _number(throughput and throughput.speedup, "{:.2f}x"),
        ]
    if video:
        cells += [_number(row.video and row.video.single_frame_fps, "{:.1f}"), _video_fps(row, batch)]
    return cells + [
        _number(row.achieved_gops, "{:.0f}"),
        _number(row.ceiling_fraction, "{:.2f}"),
        _bytes(row.peak_rss_bytes),
        _bytes(row.added_rss_bytes and max(row.added_rss_bytes, 0)),
        _bytes(row.artifact_bytes),
        _number(row.compile_s, "{:.1f}"),
        _one_minus_cosine(row.fidelity),
        _agreement(row.fidelity),
        _number(row.delegated_share, "{:.0%}"),
        _note(row),
    ]


def _video_fps(row: RowResult, batch: int) -> str:
    """The video path's frames/s, with the batch it ran at where a fixed-batch row could not use ``batch``."""
    if row.video is None:
        return "-"
    return f"{row.video.video_path_fps:.1f}" + ("" if row.video.batch == batch else f" @{row.video.batch}")


def _number(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def _bytes(size: int | None) -> str:
    """Whole MB above 10 MB, one decimal below, so columns stay narrow."""
    if size is None:
        return "-"
    megabytes = size / 1e6
    return f"{megabytes:.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"


def _one_minus_cosine(fidelity: dict[str, float] | None) -> str:
    if not fidelity or "cosine" not in fidelity:
        return "-"
    gap = 1.0 - fidelity["cosine"]
    return "0" if gap <= 0 else f"{gap:.1e}"


def _agreement(fidelity: dict[str, float] | None) -> str:
    """Seg: share of pixels with the reference's class; pose: mean keypoint peak distance (heatmap px)."""
    if fidelity and "pixel_agreement" in fidelity:
        return f"{fidelity['pixel_agreement']:.2%} px"
    if fidelity and "keypoint_distance_px_mean" in fidelity:
        return f"{fidelity['keypoint_distance_px_mean']:.2f} kpt px"
    return "-"


def _note(row: RowResult) -> str:
    notes = [_shorten(f"{row.status}: {row.reason}")] if row.reason else []
    notes += ["reference"] if row.spec.is_reference else []
    notes += [f"ceiling: {row.ceiling}"] if row.ceiling else []
    notes += [row.model] if row.model else []
    notes += ["cached bundle"] if row.cached else []
    notes += ["fidelity from report.json"] if row.fidelity_source == REPORT_FIDELITY else []
    notes += [row.throughput_note] if row.throughput_note else []
    notes += row.warnings
    return "; ".join(notes)


def _shorten(text: str) -> str:
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."


def rich_table(report: BenchReport) -> Table:
    """The terminal table: a bold title row and a rule per group."""
    columns = headers(report)
    table = Table(title=title(report), title_justify="left", caption=caption(report), caption_justify="left")
    for column in columns:
        table.add_column(column, justify="left" if column in ("row", "note") else "right")
    for name, rows in table_sections(report):
        table.add_row(f"[bold]{name}[/]", *[""] * (len(columns) - 1))
        for index, cells in enumerate(rows):
            table.add_row(*cells, end_section=index == len(rows) - 1)
    return table


def title(report: BenchReport) -> str:
    machine = report.machine
    return (
        f"sapiens2 bench: {machine['cpu']}, {machine['cores']} cores, {report.settings['threads']} threads per runtime"
    )


def caption(report: BenchReport) -> str:
    """How the numbers were taken, in one paragraph."""
    settings = report.settings
    return (
        f"{settings['runs']} timed rounds after {settings['warmup']} warm-up on {settings.get('timed_input', '?')}. "
        f"{ceilings_sentence(report)} "
        f"{fastest_sentence(report)} "
        f"vs eager: {settings['ratio']}; reference: {settings['reference']}. 1 - cos and agreement: worst case over "
        f"{len(settings.get('fidelity_inputs', []))} images against the reference. Peak RSS: the whole process during the "
        "row's calls, the reference model included; added: above the RSS before the row was opened."
        f"{video_sentence(report)}"
    )


def video_sentence(report: BenchReport) -> str:
    """How the video columns were measured ('' without --video)."""
    video = report.settings.get("video")
    if not video:
        return ""
    return (
        f" Video: {video['frames']} frames of {video['source']}, whole pipeline (pose: whole-frame person boxes); "
        "1-frame fps: decode then predict one frame at a time; video fps: background decoding, "
        f"{video['batch']} frames per forward pass, tracking and smoothing (median of {video['rounds']} alternated rounds)."
    )


def ceilings_sentence(report: BenchReport) -> str:
    """The CPU's ISA and its GEMM ceilings, as the tables' GOP/s and 'of ceiling' columns use them."""
    machine = report.machine
    measured = [c for c in machine.get("ceilings", []) if c["reason"] is None]
    if not measured:
        return "No GEMM ceilings were measured."
    m, k, n = GEMM_SHAPE
    figures = ", ".join(f"{c['runtime']} {c['precision']} {c['gops']:.0f}" for c in measured)
    flags = " ".join(machine.get("cpu_flags", [])) or "no AVX2"
    return (
        f"Ceilings (GEMM {m}x{k}x{n}, GOP/s, the faster of a pass before and one after the rows; ISA: {flags}): "
        f"{figures}. GOP/s: the model's operations per image "
        "(torch's count, 2 per multiply-add) over the median latency; of ceiling: that over the best GEMM of the "
        "row's precision (weight-only rows: fp32)."
    )


def markdown_tables(report: BenchReport) -> str:
    """A bold group title and a Markdown table per group, then the caption."""
    columns = headers(report)
    lines = []
    for name, rows in table_sections(report):
        lines += [f"**{name}**", "", "| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(cell.replace("|", "/") for cell in cells) + " |" for cells in rows]
        lines.append("")
    return "\n".join([*lines, caption(report)]) + "\n"


def write_report(report: BenchReport, out: Path) -> dict[str, Path]:
    """``bench.json`` and ``bench.md`` in ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / JSON_NAME, "markdown": out / MARKDOWN_NAME}
    for path, text in ((paths["json"], to_json(report)), (paths["markdown"], markdown_tables(report))):
        atomic_write(path, lambda handle, text=text: handle.write(text.encode()))
    return paths


def to_json(report: BenchReport) -> str:
    return json.dumps(report.to_dict(), indent=2) + "\n"
