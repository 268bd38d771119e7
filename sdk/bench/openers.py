"""How each kind of row is opened: a torch module, a (cached) bundle, a given bundle, a MediaPipe worker.

An opener fills in what is known before running (runtime, artifact size, compile time, the compile
report's fidelity and placement) and returns the ``Opened`` row the runner times; it raises
``UserError`` when the row cannot run here, keeping what it already filled in.
"""

from __future__ import annotations

import copy
import gc
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from sapiens2.api import bundle_io
from sapiens2.bundle import Bundle
from sapiens2.compile import CompileOptions
from sapiens2.compile.pipeline import Progress
from sapiens2.samples import data_dir
from sapiens2.errors import UserError
from sapiens2.pipelines import ModelIO
from sapiens2.targets.torch import quantizer as torch_quantizer
from sapiens2.targets import Runtime, open_verified, runtime_class

from . import mediapipe_baseline as mediapipe
from .cache import BundleCache
from .matrix import REFERENCE_PRECISION, TORCH, TORCH_COMPILE, RowSpec
from .memory import rss_bytes
from .reference import Reference, input_layout
from .results import REPORT_FIDELITY, RowResult
from .settings import BenchSettings
from .timing import Runner
from .torch_runner import ModuleRunner
from .weights import Weights


@dataclass
class Opened:
    """A row ready to time: its runner and how to get a batch-N runner, its memory baseline, its clean-up."""

    runner: Runner
    open_batch_runner: Callable[[], Runner] | None = None
    input_layout: str | None = None  # uint8 pixel layout of a bundle that normalises in its graph
    rss_before: int | None = None
    comparable: bool = True  # False for other models (MediaPipe): no fidelity figures
    own_peak_rss: Callable[[], int] | None = None  # for runners in another process
    io: ModelIO | None = None  # the model's I/O contract, for the video figures (None: not a Sapiens2 model)
    close: Callable[[], None] | None = None


RowOpener = Callable[[RowResult], Opened]


def settled_rss() -> int | None:
    """Resident memory once garbage is collected: the baseline a row's added memory is measured from."""
    gc.collect()
    return rss_bytes()


def torch_opener(reference: Reference, spec: RowSpec) -> RowOpener:
    """torch / torch-compile rows: the reference's own wrapper (same weights) in the row's attention mode.

    torch rows at ``int8`` / ``int8-weights`` run a copy of the wrapper whose linears torchao quantized.
    """

    def open_row(row: RowResult) -> Opened:
        check_torch_precision(spec)
        rss = settled_rss()
        wrapper = reference.wrapper
        if spec.precision in torch_quantizer.SCHEMES:
            wrapper = torch_quantizer.quantize_model(copy.deepcopy(wrapper), spec.precision)  # the reference stays fp32
            row.quantization = torch_quantizer.SCHEMES[spec.precision][0]
        runner = ModuleRunner(wrapper, spec.attention, compiled=spec.target == TORCH_COMPILE)
        row.runtime, row.artifact_bytes = runner.name, torch_quantizer.stored_bytes(wrapper)
        if spec.target == TORCH_COMPILE:
            start = time.perf_counter()
            runner.run(reference.batch(reference.layout))
            row.compile_s = time.perf_counter() - start  # the first call traces and compiles
        return Opened(runner, open_batch_runner=lambda: runner, input_layout=reference.layout, rss_before=rss, io=reference.io)

    return open_row


def check_torch_precision(spec: RowSpec) -> None:
    """PyTorch rows run fp32, or in eager torchao's int8 schemes; other precisions belong to the compile targets."""
    if spec.precision == REFERENCE_PRECISION or (spec.target == TORCH and spec.precision in torch_quantizer.SCHEMES):
        return
    torch_quantizer.check_precision(spec.precision)
    raise UserError(
        f"{spec.target} rows run fp32 (and torchao {' / '.join(torch_quantizer.SCHEMES)} in eager, --targets torch); "
        f"{spec.target} {spec.precision} needs a compile target"
    )


def bundle_opener(spec: RowSpec, weights: Weights, cache: BundleCache, settings: BenchSettings, on_stage: Progress | None = None) -> RowOpener:
    """Compile targets: the cached bundle (compiled on first use, ``on_stage`` hearing its stages), opened with its runtime."""

    def open_row(row: RowResult) -> Opened:
        options = CompileOptions(
            target=spec.target, input_size=spec.input_size, precision=spec.precision, attention=spec.attention,
            threads=settings.threads, **settings.compile_options,
        )  # fmt: skip
        entry = cache.get(weights, options, on_stage)
        describe_bundle(row, entry.bundle, entry.cached)
        rss = settled_rss()
        runtime = open_runtime(row, entry.bundle, settings)

        def open_batch_runner() -> Runner:
            dynamic = cache.get(weights, replace(options, dynamic_batch=True), on_stage)
            return open_runtime(row, dynamic.bundle, settings)

        return Opened(
            runtime, open_batch_runner=open_batch_runner, input_layout=input_layout(entry.bundle), rss_before=rss,
            io=bundle_io(entry.bundle.manifest),
        )  # fmt: skip

    return open_row


def given_bundle_opener(bundle: Bundle, settings: BenchSettings) -> RowOpener:
    """A bundle made by ``sapiens2 compile``, opened with its runtime (batch N only if its batch is free)."""
    def open_row(row: RowResult) -> Opened:
        describe_bundle(row, bundle, cached=None)
        rss = settled_rss()
        runtime = open_runtime(row, bundle, settings)
        if not bundle.manifest.export.dynamic_batch:
            if settings.batch > 1:
                row.throughput_note = "the bundle has a fixed batch of 1 (compile it with --dynamic-batch)"
            return Opened(runtime, input_layout=input_layout(bundle), rss_before=rss, io=bundle_io(bundle.manifest))
        return Opened(runtime, open_batch_runner=lambda: runtime, input_layout=input_layout(bundle), rss_before=rss, io=bundle_io(bundle.manifest))

    return open_row


def mediapipe_opener(reference: Reference, settings: BenchSettings) -> RowOpener:
    """MediaPipe's model for the reference's task, in a worker, on the reference's (real) image."""
    def open_row(row: RowResult) -> Opened:
        if not reference.sample.real:
            raise mediapipe.MediaPipeUnavailable(f"no real image under {data_dir() / 'images'} to run MediaPipe on (set SAPIENS2_DATA)")
        python = mediapipe.ensure_venv(settings.mediapipe_venv)
        runner = mediapipe.MediaPipeRunner(python, reference.task, data_dir() / "images" / reference.sample.name, settings.threads)
        row.runtime, row.model, row.artifact_bytes = f"mediapipe {runner.version}", mediapipe.MODELS[reference.task], runner.model_bytes
        return Opened(runner, comparable=False, own_peak_rss=runner.peak_rss_bytes, close=runner.close)

    return open_row


def open_runtime(row: RowResult, bundle: Bundle, settings: BenchSettings) -> Runtime:
    """The bundle's runtime; what it warns about while opening (e.g. OpenVINO running a bf16 bundle
    in f32 on a CPU without bf16) goes into the row's warnings."""
    cls = runtime_class(bundle.manifest.target)
    ok, why = cls.available()
    if not ok:
        raise UserError(f"{cls.name} does not run here: {why}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runtime = open_verified(bundle, threads=settings.threads)
    row.warnings += [str(warning.message) for warning in caught if str(warning.message) not in row.warnings]
    return runtime


def describe_bundle(row: RowResult, bundle: Bundle, cached: bool | None) -> None:
    """What a bundle tells without running it: runtime, size, compile time, placement, and the compile
    report's fidelity against the official numerics (in the bundle's own attention mode)."""
    report = bundle.report() or {}
    row.bundle, row.cached, row.runtime = str(bundle.path), cached, bundle.manifest.runtime.name
    row.quantization = bundle.manifest.quantization.scheme if bundle.manifest.quantization else None
    row.artifact_bytes = bundle.manifest.artifact_bytes
    row.compile_s = report.get("compile_s")
    row.report_fidelity = report.get("summary")
    # Shown until (unless) the row runs here and its fidelity is recomputed against the group's reference.
    official = (row.report_fidelity or {}).get("vs_official") or {}
    row.fidelity = {key: value for key, value in official.items() if isinstance(value, int | float)} or None
    row.fidelity_source = REPORT_FIDELITY if row.fidelity else None
    row.placement = report.get("placement")
    row.delegated_share = delegated_share(row.placement)


def delegated_share(placement: Mapping[str, Any] | None) -> float | None:
    """Share of operators a delegate runs, from a compile report's ``placement`` (ExecuTorch:
    ``delegated_ops`` and ``portable_ops``, see ``sapiens2.targets.executorch.placement``); None without one."""
    if not placement or "delegated_ops" not in placement:
        return None
    total = placement["delegated_ops"] + placement.get("portable_ops", 0)
    return placement["delegated_ops"] / total if total else None


def bundle_spec(bundle: Bundle) -> RowSpec:
    """The row a given bundle is: its task, size, target, precision and attention."""
    manifest = bundle.manifest
    export = manifest.export
    return RowSpec(manifest.task, tuple(export.input_size), manifest.target, manifest.precision, export.attention, export.deconv)
