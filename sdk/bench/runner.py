"""Runs benchmark rows group by group, each row alternately (A B A B) with its group's reference.

A group is one model at one input size: its reference (PyTorch eager, official numerics) is built
once, then every row is opened (a cached or fresh bundle, a torch module, a MediaPipe worker),
timed alternately with the reference, compared with it and closed before the next row opens. A row
that cannot be opened keeps what was learnt so far and records why: ``unavailable`` for user-level
reasons (a runtime absent here, an option a target refuses), ``failed`` for anything else, so one
broken row never stops the matrix.
"""

from __future__ import annotations

import gc
import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol

from sapiens2.bundle import Bundle
from sapiens2.targets.onnx.exporter import parameter_bytes
from sapiens2.threads import torch_threads
from sapiens2.errors import UserError

from . import mediapipe_baseline as mediapipe
from .cache import BundleCache
from .ceilings import Ceiling, best_ceilings, higher_ceilings, judge, measure_ceilings
from .compile_process import CompileFailed
from .flops import reference_gflop
from .machine import machine_facts
from .matrix import (
    TORCH_TARGETS,
    RowSpec,
    reference_row,
)
from .openers import Opened, RowOpener, bundle_opener, bundle_spec, given_bundle_opener, mediapipe_opener, settled_rss, torch_opener
from .reference import Reference, bundle_reference, reference_key
from .results import RECOMPUTED, BenchReport, RowResult, Throughput
from .settings import BenchSettings
from .timing import Runner, Timing, paired_speedup, time_alternately
from .torch_runner import official_wrapper
from .video_rows import VIDEO_ROUNDS, measure_video
from .weights import Weights

RATIO = "median over rounds of reference ms / row ms; each round runs the reference then the row (A B A B)"
REFERENCE = "PyTorch eager fp32, official numerics (bf16 RoPE), SDPA attention"


class ProgressHook(Protocol):
    """Told what the benchmark is doing, for a progress bar."""

    def expect(self, rows: int) -> None:
        """How many rows the run will have."""

    def row(self, label: str) -> None:
        """A new row starts (so the previous one is done)."""

    def stage(self, stage: str) -> None:
        """A compile stage (load, export, verify, write) of the current row starts."""


def run_matrix(
    specs: Sequence[RowSpec],
    weights: Mapping[str, Weights],
    settings: BenchSettings,
    cache: BundleCache,
    progress: ProgressHook | None = None,
) -> BenchReport:
    """Bench every row of an ``expand_matrix`` result; bundles come from (and go to) ``cache``."""
    report = _new_report(settings, {task: weights[task].describe() for task in dict.fromkeys(spec.task for spec in specs)})
    first_pass = _measure_ceilings(settings)
    judged: list[tuple[list[RowResult], float]] = []
    groups = [(group, list(members)) for group, members in itertools.groupby(specs, key=lambda spec: spec.group)]
    if progress is not None:
        progress.expect(sum(len(members) + _mediapipe_rows(task, settings) for (task, _), members in groups))
    on_stage = progress.stage if progress is not None else None
    with torch_threads(settings.threads):
        for (task, size), group in groups:
            _announce(progress, f"{task} {size[0]}x{size[1]}: reference")
            rss = settled_rss()
            reference = Reference(official_wrapper(weights[task].load(size), size), rss)
            openers = [
                (spec, torch_opener(reference, spec) if spec.target in TORCH_TARGETS else bundle_opener(spec, weights[task], cache, settings, on_stage))
                for spec in group
                if not spec.is_reference
            ]
            judged.append((bench_group(reference, openers, settings, progress), reference_gflop(reference)))
            _record_inputs(report, reference)
    return _judged(report, judged, first_pass, settings)


def run_bundles(
    bundles: Sequence[Bundle], settings: BenchSettings, checkpoints: Sequence[str] = (), progress: ProgressHook | None = None
) -> BenchReport:
    """Bench given bundles; bundles made from the same weights, task, size and input share one reference."""
    report = _new_report(settings, {str(bundle.path): _describe_source(bundle) for bundle in bundles})
    first_pass = _measure_ceilings(settings)
    judged: list[tuple[list[RowResult], float]] = []
    groups: dict[str, list[Bundle]] = {}
    for bundle in bundles:
        groups.setdefault(reference_key(bundle), []).append(bundle)
    if progress is not None:
        progress.expect(sum(1 + len(members) + _mediapipe_rows(members[0].manifest.task, settings) for members in groups.values()))
    with torch_threads(settings.threads):
        for members in groups.values():
            manifest = members[0].manifest
            height, width = manifest.export.input_size
            _announce(progress, f"{manifest.task} {height}x{width}: reference")
            rss = settled_rss()
            reference = Reference(bundle_reference(members[0], checkpoints), rss)
            openers = [(bundle_spec(bundle), given_bundle_opener(bundle, settings)) for bundle in members]
            judged.append((bench_group(reference, openers, settings, progress), reference_gflop(reference)))
            _record_inputs(report, reference)
    return _judged(report, judged, first_pass, settings)


def bench_group(
    reference: Reference,
    openers: Iterable[tuple[RowSpec, RowOpener]],
    settings: BenchSettings,
    progress: ProgressHook | None = None,
) -> list[RowResult]:
    """The reference row, then one row per opener, then the MediaPipe row when asked for."""
    head = RowResult(reference_row(reference.task, reference.input_size), runtime="torch-eager")
    results = [head]
    entries = list(openers)
    if _mediapipe_rows(reference.task, settings):
        spec = RowSpec(reference.task, reference.input_size, mediapipe.TARGET, mediapipe.PRECISION, None)
        entries.append((spec, mediapipe_opener(reference, settings)))
    _measure_reference(reference, head, settings)
    for spec, opener in entries:
        _announce(progress, _row_label(spec))
        row = RowResult(spec)
        bench_row(reference, row, opener, settings)
        results.append(row)
    return results


def bench_row(reference: Reference, row: RowResult, opener: RowOpener, settings: BenchSettings) -> None:
    """Open, time, compare and close one row; failures become the row's status and reason."""
    opened = None
    try:
        opened = opener(row)
        _measure(reference, row, opened, settings)
    except CompileFailed as error:
        row.status, row.reason = "failed", str(error)
    except UserError as error:
        row.status, row.reason = "unavailable", str(error)
    except Exception as error:  # noqa: BLE001 - an exporter or runtime crash on one row must not end the matrix
        row.status, row.reason = "failed", f"{type(error).__name__}: {error}"
    finally:
        if opened is not None and opened.close is not None:
            opened.close()
        del opened
        gc.collect()


def _measure(reference: Reference, row: RowResult, opened: Opened, settings: BenchSettings) -> None:
    batch = reference.batch(opened.input_layout)
    start = time.perf_counter()
    opened.runner.run(batch)
    row.first_call_s = time.perf_counter() - start
    timings = _pair(reference, opened.runner, opened.input_layout, 1, settings)
    row.latency, row.reference_latency = timings["row"], timings["reference"]
    row.speedup = paired_speedup(timings["reference"], timings["row"])
    if opened.own_peak_rss is not None:
        row.peak_rss_bytes = opened.own_peak_rss()
    else:
        row.peak_rss_bytes = timings["row"].peak_rss_bytes
        if opened.rss_before is not None:
            row.added_rss_bytes = row.peak_rss_bytes - opened.rss_before
    if opened.comparable:
        row.fidelity, row.fidelity_source = reference.fidelity(opened.runner, opened.input_layout), RECOMPUTED
    batch_runner = _batch_runner(row, opened, settings) if settings.batch > 1 else None
    if batch_runner is not None:
        row.throughput = _throughput(reference, batch_runner, opened.input_layout, settings)
    if settings.video is not None and opened.io is not None:
        runner, batch = (batch_runner, settings.batch) if batch_runner is not None else (opened.runner, 1)
        row.video = measure_video(runner, opened.io, batch, settings.video, settings.video_frames)


def _batch_runner(row: RowResult, opened: Opened, settings: BenchSettings) -> Runner | None:
    """The row's batch-N runner; None (and a note) where it has none."""
    if opened.open_batch_runner is None:
        row.throughput_note = row.throughput_note or "this row runs one image at a time"
        return None
    try:
        return opened.open_batch_runner()
    except UserError as error:  # e.g. a target whose bundles have a fixed batch: latency stands, throughput does not
        row.throughput_note = f"no batch {settings.batch}: {error}"
        return None


def _throughput(reference: Reference, runner: Runner, layout: str | None, settings: BenchSettings) -> Throughput:
    """Batch-N timings against the reference at batch N."""
    runner.run(reference.batch(layout, settings.batch))  # a new shape: torch.compile recompiles, runtimes allocate
    timings = _pair(reference, runner, layout, settings.batch, settings)
    return Throughput(settings.batch, timings["row"], paired_speedup(timings["reference"], timings["row"]))


def _pair(reference: Reference, runner: Runner, layout: str | None, size: int, settings: BenchSettings) -> dict[str, Timing]:
    """The reference and a row alternately, each on the timed image in the layout it takes."""
    runners = {"reference": reference.runner, "row": runner}
    batches = {"reference": reference.batch(reference.layout, size), "row": reference.batch(layout, size)}
    return time_alternately(runners, batches, settings.runs, settings.warmup)


def _measure_reference(reference: Reference, row: RowResult, settings: BenchSettings) -> None:
    """The reference row, timed alone before the other rows are opened, so its memory is its own."""
    timing = _alone(reference, 1, settings)
    row.latency, row.speedup = timing, 1.0
    row.peak_rss_bytes = timing.peak_rss_bytes
    if reference.rss_before is not None:
        row.added_rss_bytes = timing.peak_rss_bytes - reference.rss_before
    row.fidelity, row.fidelity_source = reference.self_fidelity(), RECOMPUTED
    row.artifact_bytes = parameter_bytes(reference.wrapper)  # what a checkpoint of these weights holds
    if settings.batch > 1:
        row.throughput = Throughput(settings.batch, _alone(reference, settings.batch, settings), 1.0)
    if settings.video is not None:
        row.video = measure_video(reference.runner, reference.io, settings.batch, settings.video, settings.video_frames)


def _alone(reference: Reference, size: int, settings: BenchSettings) -> Timing:
    batches = {"reference": reference.batch(reference.layout, size)}
    return time_alternately({"reference": reference.runner}, batches, settings.runs, settings.warmup)["reference"]


def _measure_ceilings(settings: BenchSettings) -> list[Ceiling]:
    """This CPU's GEMM ceilings, measured now with the bench's threads."""
    return measure_ceilings(settings.threads, settings.runs, settings.warmup)


def _judged(
    report: BenchReport, groups: Sequence[tuple[list[RowResult], float]], first_pass: Sequence[Ceiling], settings: BenchSettings
) -> BenchReport:
    """``report`` with every group's rows, each given its operations per image (the group's ``gflop``) and its share of
    its precision's ceiling; the ceilings are measured again after the rows and the faster pass of each kept."""
    ceilings = higher_ceilings([first_pass, _measure_ceilings(settings)])
    report.machine["ceilings"] = [ceiling.to_dict() for ceiling in ceilings]
    best = best_ceilings(ceilings)
    for rows, gflop in groups:
        judge(rows, gflop, best)
        report.rows.extend(rows)
    return report


def _describe_source(bundle: Bundle) -> str:
    source = bundle.manifest.source
    return f"random weights seed {source.seed}" if source.random_weights else str(source.path)


def _mediapipe_rows(task: str, settings: BenchSettings) -> int:
    """1 when a group of ``task`` gets a MediaPipe row, else 0."""
    return int(settings.mediapipe_venv is not None and task in mediapipe.MODELS)


def _row_label(spec: RowSpec) -> str:
    return f"{spec.task} {spec.input_size[0]}x{spec.input_size[1]}: {spec.label}"


def _announce(progress: ProgressHook | None, label: str) -> None:
    if progress is not None:
        progress.row(label)


def _new_report(settings: BenchSettings, weights: Mapping[str, str]) -> BenchReport:
    described = {
        "runs": settings.runs,
        "warmup": settings.warmup,
        "batch": settings.batch,
        "threads": settings.threads,
        "compile_options": dict(settings.compile_options),
        "ratio": RATIO,
        "reference": REFERENCE,
        "weights": dict(weights),
        "mediapipe": settings.mediapipe_venv is not None,
        "video": None if settings.video is None else _video_settings(settings),
    }
    return BenchReport(described, machine_facts(), datetime.now(UTC).isoformat(timespec="seconds"))


def _video_settings(settings: BenchSettings) -> dict[str, str | int]:
    return {"source": settings.video.name, "frames": settings.video_frames, "batch": settings.batch, "rounds": VIDEO_ROUNDS}


def _record_inputs(report: BenchReport, reference: Reference) -> None:
    report.settings["timed_input"] = reference.sample.name
    report.settings["fidelity_inputs"] = [sample.name for sample in reference.samples(reference.layout)]
