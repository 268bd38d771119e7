"""PNG charts of a benchmark report: latency against fidelity, latency by target and precision, and the
throughput each row achieves against this CPU's GEMM ceilings.

Drawn on matplotlib ``Figure`` objects (Agg canvas, no pyplot), so no display and no global
backend switch is involved. One panel per (task, size) group; rows without a latency are left out.
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterable
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import NullFormatter, NullLocator
from sapiens2.results.storage import atomic_write

from .matrix import REFERENCE_ATTENTION
from .results import BenchReport, RowResult

FIDELITY_NAME = "latency_vs_fidelity.png"
TARGETS_NAME = "latency_by_target.png"
CEILINGS_NAME = "throughput_vs_ceiling.png"
# 1 - cos below this is drawn at it: the reference itself (exactly 0) and fp32 exports (~1e-12) sit there.
FIDELITY_FLOOR = 1e-12
PANEL_SIZE = (6.4, 4.6)
MAX_COLUMNS = 2
TITLE_WIDTH = 55  # characters of a suptitle line that fit the figure of one panel
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
BAR_SPAN = 0.8  # share of a target's slot its bars fill
DPI = 120


def write_charts(report: BenchReport, out: Path) -> dict[str, Path]:
    """The three charts in ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "latency_vs_fidelity": out / FIDELITY_NAME,
        "latency_by_target": out / TARGETS_NAME,
        "throughput_vs_ceiling": out / CEILINGS_NAME,
    }
    for path, figure in (
        (paths["latency_vs_fidelity"], latency_vs_fidelity(report)),
        (paths["latency_by_target"], latency_by_target(report)),
        (paths["throughput_vs_ceiling"], throughput_vs_ceiling(report)),
    ):
        atomic_write(path, lambda handle, figure=figure: figure.savefig(handle, dpi=DPI, format="png"))
    return paths


def _groups(report: BenchReport) -> list[tuple[str, list[RowResult]]]:
    timed = [row for row in report.rows if row.latency is not None]
    groups = itertools.groupby(timed, key=lambda row: row.spec.group)
    return [(f"{task} {size[0]}x{size[1]}", list(rows)) for (task, size), rows in groups]


def _figure(report: BenchReport) -> tuple[Figure, list[tuple[Axes, list[RowResult]]]]:
    """A figure with one titled panel per group, and each panel's rows."""
    groups = _groups(report) or [("no timed rows", [])]
    columns = min(len(groups), MAX_COLUMNS)
    rows_of_panels = -(-len(groups) // columns)
    figure = Figure(figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows_of_panels), layout="constrained")
    grid = figure.subplots(rows_of_panels, columns, squeeze=False).ravel()
    for spare in grid[len(groups) :]:
        spare.set_visible(False)
    panels = []
    for axes, (title, rows) in zip(grid, groups):
        axes.set_title(title)
        panels.append((axes, rows))
    return figure, panels


def latency_vs_fidelity(report: BenchReport) -> Figure:
    """Each row a point: median latency (x, log) against 1 - cosine vs the reference (y, log).

    Colour = target, marker = precision, hollow = a non-reference attention mode; other models
    (MediaPipe: no fidelity) are dashed vertical lines at their latency.
    """
    figure, panels = _figure(report)
    colours = _colours(row.spec.target for row in report.rows)
    markers = dict(zip(dict.fromkeys(row.spec.precision for row in report.rows), itertools.cycle(MARKERS)))
    for axes, rows in panels:
        worst = FIDELITY_FLOOR
        for row in rows:
            latency, colour = row.latency.median_ms, colours[row.spec.target]
            if row.fidelity is None or "cosine" not in row.fidelity:
                axes.axvline(latency, linestyle="--", color=colour, label=f"{row.spec.label} (other model)")
                continue
            gap = max(1.0 - row.fidelity["cosine"], FIDELITY_FLOOR)
            worst = max(worst, gap)
            hollow = row.spec.attention not in (None, REFERENCE_ATTENTION)
            axes.scatter(
                latency,
                gap,
                s=120 if row.spec.is_reference else 50,
                marker="*" if row.spec.is_reference else markers[row.spec.precision],
                facecolors="none" if hollow else colour,
                edgecolors=colour,
                label=row.spec.label + (" (reference)" if row.spec.is_reference else ""),
            )
        axes.set_xscale("log")
        latencies = [row.latency.median_ms for row in rows]
        if latencies:
            axes.set_xlim(min(latencies) / 1.25, max(latencies) * 1.25)
            ticks = log_ticks(min(latencies) / 1.25, max(latencies) * 1.25)
            axes.set_xticks(ticks, [f"{tick:g}" for tick in ticks])
            axes.xaxis.set_minor_locator(NullLocator())
            axes.xaxis.set_minor_formatter(NullFormatter())
        axes.set_yscale("log")
        axes.set_ylim(FIDELITY_FLOOR / 3, max(worst * 30, 1e-9))
        axes.set_xlabel("median latency, ms (log)")
        axes.set_ylabel(f"1 - cosine vs reference, worst image (floor {FIDELITY_FLOOR:g})")
        axes.grid(True, which="major", alpha=0.3)
        # Beside the panel, never over a point.
        axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    figure.suptitle("Latency against fidelity (lower left is better)")
    return figure


def latency_by_target(report: BenchReport) -> Figure:
    """Median latency bars (min-max whiskers) per target, one bar colour per precision."""
    colours = _colours(row.spec.precision for row in report.rows)
    figure, panels = _figure(report)
    for axes, rows in panels:
        targets = list(dict.fromkeys(_target_label(row) for row in rows))
        for position, target in enumerate(targets):
            bars = [row for row in rows if _target_label(row) == target]
            width = BAR_SPAN / len(bars)
            for index, row in enumerate(bars):
                latency = row.latency
                whiskers = [[latency.median_ms - latency.min_ms], [latency.max_ms - latency.median_ms]]
                offset = (index - (len(bars) - 1) / 2) * width
                axes.bar(
                    position + offset,
                    latency.median_ms,
                    width,
                    yerr=whiskers,
                    capsize=3,
                    color=colours[row.spec.precision],
                )
                # The paired ratio, steadier than the bars on a busy machine.
                axes.annotate(
                    f"{row.speedup:.2f}x",
                    (position + offset, latency.max_ms),
                    textcoords="offset points",
                    xytext=(0, 3),
                    ha="center",
                    fontsize=7,
                )
        axes.set_xticks(range(len(targets)), targets, rotation=30, ha="right")
        axes.set_ylabel("median latency, ms (whiskers: min-max)")
        axes.grid(True, axis="y", alpha=0.3)
    figure.legend(
        [Patch(color=colour) for colour in colours.values()],
        list(colours),
        title="precision",
        loc="outside right center",
    )
    figure.suptitle("Latency by target and precision (lower is better)\nlabels: speed-up vs eager, paired rounds")
    return figure


def throughput_vs_ceiling(report: BenchReport) -> Figure:
    """Achieved GOP/s per row (bars, coloured by precision class) against the best GEMM of each class (lines)."""
    from .ceilings import PRECISION_CLASS, Ceiling, best_ceilings

    measured = [Ceiling(**c) for c in report.machine.get("ceilings", []) if c["reason"] is None]
    best = best_ceilings(measured)
    colours = _colours(["fp32", "bf16", "int8"])
    figure, panels = _figure(report)
    for axes, rows in panels:
        judged = [row for row in rows if row.achieved_gops is not None]
        for position, row in enumerate(judged):
            klass = PRECISION_CLASS.get(row.spec.precision, "fp32")
            axes.barh(position, row.achieved_gops, color=colours[klass])
            if row.ceiling_fraction is not None:
                # On a white patch: a ceiling's dashed line often runs right through the label.
                axes.annotate(f"{row.ceiling_fraction:.2f}", (row.achieved_gops, position), xytext=(3, 0),
                              textcoords="offset points", va="center", fontsize=7, zorder=3,
                              bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # fmt: skip
        for klass, ceiling in best.items():
            axes.axvline(ceiling.gops, color=colours[klass], linestyle="--",
                         label=f"{klass} ceiling: {ceiling.runtime} {ceiling.precision} {ceiling.gops:.0f}")  # fmt: skip
        axes.set_yticks(range(len(judged)), [row.spec.label for row in judged])
        axes.invert_yaxis()
        axes.set_xlabel("GOP/s (model operations / median latency)")
        axes.grid(True, axis="x", alpha=0.3)
    # One legend for the figure (the ceilings are the machine's, the same in every panel), placed by the layout
    # so that it never clips the panels; the ISA line wrapped, since an AMX CPU's flags outrun the figure's width.
    figure.legend(*panels[0][0].get_legend_handles_labels(), fontsize=7, loc="outside lower center", ncols=1)
    flags = " ".join(report.machine.get("cpu_flags", [])) or "no AVX2"
    isa = textwrap.fill(f"ISA: {flags}; labels: share of the ceiling", TITLE_WIDTH)
    figure.suptitle(f"Throughput against this CPU's GEMM ceilings (higher is better)\n{isa}")
    return figure


def log_ticks(low: float, high: float) -> list[float]:
    """Readable ticks (1-2-5 steps) inside [low, high] for a log axis; at least two even when the range is narrow."""
    ticks = [step * 10**exponent for exponent in range(-3, 7) for step in (1, 2, 5) if low <= step * 10**exponent <= high]
    if len(ticks) >= 2:
        return ticks
    return [float(f"{value:.2g}") for value in (low * 1.1, (low * high) ** 0.5, high / 1.1)]


def _colours(names: Iterable[str]) -> dict[str, str]:
    """A fixed matplotlib cycle colour per name, in first-seen order, so panels agree."""
    return {name: f"C{index % 10}" for index, name in enumerate(dict.fromkeys(names))}


def _target_label(row: RowResult) -> str:
    attention = row.spec.attention
    return row.spec.target if attention in (None, REFERENCE_ATTENTION) else f"{row.spec.target} ({attention})"
