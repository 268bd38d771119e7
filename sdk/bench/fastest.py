"""The bench's answer to "which precision for this CPU": per group, the fastest compiled row that passed its gates.

A bundle row exists only when its compile passed its fidelity (and, quantized, accuracy) gate, so
the fastest ``ok`` row among the compile targets is what ``sapiens2 compile --precision auto``
aims for on this machine; the summary names it so the two can be compared. PyTorch rows (the
reference, torch.compile) and MediaPipe (another model) are not bundles and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from sapiens2.targets import compile_targets

from .results import BenchReport, RowResult

Group = tuple[str, tuple[int, int]]


def fastest_passing(rows: Sequence[RowResult]) -> dict[Group, RowResult]:
    """Per (task, size) group, the compiled row with the lowest median latency among those that passed."""
    targets = set(compile_targets())
    best: dict[Group, RowResult] = {}
    for row in rows:
        if row.status != "ok" or row.latency is None or row.spec.target not in targets:
            continue
        current = best.get(row.spec.group)
        if current is None or row.latency.median_ms < current.latency.median_ms:
            best[row.spec.group] = row
    return best


def fastest_sentence(report: BenchReport) -> str:
    """One sentence for the caption: each group's fastest passing bundle, with its latency and speed-up."""
    best = fastest_passing(report.rows)
    if not best:
        return "No compiled bundle passed its gates."
    parts = []
    for (task, (height, width)), row in best.items():
        speedup = f", {row.speedup:.2f}x eager" if row.speedup is not None else ""
        parts.append(f"{task} {height}x{width}: {row.spec.label} ({row.latency.median_ms:.1f} ms{speedup})")
    return "Fastest bundle that passed its gates (what --precision auto aims for): " + "; ".join(parts) + "."
