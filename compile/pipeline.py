"""Checkpoint -> verified bundle: load, export, verify, write (atomically), in that order.

``compile_bundle(from_checkpoint(path), CompileOptions(target="onnx"), "out/pose")`` is the whole
API. A model whose artifact fails the fidelity gate yields no bundle: ``FidelityGateError`` names
the numbers, and the report is kept at ``<out>.failed/report.json``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sapiens2 import __version__
from sapiens2.bundle import (
    BundleStage,
    Manifest,
    ModelSource,
    RuntimeInfo,
    write_failed_report,
)
from sapiens2.errors import AccuracyGateError, CompileError, FidelityGateError
from sapiens2.models import TASKS, ArchSpec, Sapiens2TaskModel
from sapiens2.targets import ExportedArtifact, Target, get_target

from . import quantization
from .auto_precision import compile_auto
from .describe import build_manifest
from .memory import check_memory
from .options import AUTO_PRECISION, CompileOptions, check_capabilities
from .phase_deconv import deconv_form
from .source import load_checkpoint_model, random_weights_model, should_stream
from .streaming import check_streaming_room, reference_forward, streamed_weights
from .verify import verify_artifact
from .wrappers import DECODED_OUTPUTS, ExportWrapper, attention_mode

STAGES = ("load", "export", "verify", "write")

ModelLoader = Callable[[CompileOptions], tuple[Sapiens2TaskModel, ModelSource]]
Progress = Callable[[str], None]
Exporter = Callable[[ExportWrapper, Path, CompileOptions], ExportedArtifact]


@dataclass(frozen=True)
class CompileResult:
    path: Path
    manifest: Manifest
    report: dict[str, Any]


def from_checkpoint(
    checkpoint: str | os.PathLike[str], task: str | None = None, arch: str | Mapping[str, Any] | ArchSpec | None = None
) -> ModelLoader:
    """Load the task model a checkpoint holds (``task`` and ``arch``, when given, are checked against it)."""
    return lambda options: load_checkpoint_model(checkpoint, task, arch, stream=should_stream(checkpoint, options))


def from_random_weights(task: str, arch: str | Mapping[str, Any] | ArchSpec, seed: int = 0) -> ModelLoader:
    """Random (official-init) weights from ``seed``: for trying the toolchain, never for results."""

    def load(options: CompileOptions) -> tuple[Sapiens2TaskModel, ModelSource]:
        if options.stream_weights:
            raise CompileError("--stream-weights reads the weights from a .safetensors checkpoint; random weights have none")
        return random_weights_model(task, arch, options.input_size, seed)

    return load


def check_request(target: Target, options: CompileOptions) -> None:
    """Refuse what the target does not accept (its capability table) or cannot do here, before any slow work."""
    check_capabilities(options, target.name, target.capabilities)
    target.check(options)


def check_model(model: Sapiens2TaskModel, options: CompileOptions) -> None:
    """Refuse option/model combinations that cannot work, before exporting."""
    if model.task not in TASKS:
        raise CompileError(
            f"a {model.task} checkpoint cannot be compiled yet (the targets export the single tasks {', '.join(TASKS)}); "
            "run it with sapiens2.load(...).predict"
        )
    if options.decode != "none" and model.task not in DECODED_OUTPUTS:
        raise CompileError(f"--decode exists for {' and '.join(DECODED_OUTPUTS)}; {model.task} outputs are used as they are")
    problem = model.input_size_problem(options.input_size)
    if problem:
        raise CompileError(f"{problem} (--input-size)")


class _StageClock:
    """Announces each stage to ``progress`` and records how long it took."""

    def __init__(self, progress: Progress | None) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        if self.progress is not None:
            self.progress(stage)
        start = time.perf_counter()
        yield
        self.seconds[stage] = round(time.perf_counter() - start, 3)


def compile_bundle(
    load: ModelLoader,
    options: CompileOptions,
    out: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    overwrite: bool = False,
    export: Exporter | None = None,
    explain: Progress | None = None,
    precision_choice: Mapping[str, Any] | None = None,
) -> CompileResult:
    """Compile, verify against PyTorch and write a bundle at ``out``; ``progress`` hears each stage name.

    ``export`` replaces the target's fp32 export (``sapiens2 quantize`` copies an fp32 bundle's artifact).
    ``load`` must build a fresh model: once a float artifact is verified, that model's weights are freed.
    Precision ``auto`` compiles candidate precisions until one passes (``auto_precision``): ``explain``
    hears why, and ``precision_choice`` (set by it) is the record the chosen bundle's manifest keeps.
    """
    if options.precision == AUTO_PRECISION:
        return compile_auto(
            lambda chosen, choice: compile_bundle(
                load, chosen, out, progress=progress, overwrite=overwrite, export=export, precision_choice=choice
            ),
            options,
            say=explain,
        )
    target = get_target(options.target)
    check_request(target, options)
    clock = _StageClock(progress)
    # Out of inference mode: exporters cannot trace inference tensors, should the caller be in that mode.
    with BundleStage(out, overwrite) as stage, torch.inference_mode(False), torch.no_grad():
        with clock("load"):
            model, source = load(options)
        check_model(model, options)
        if streamed_weights(model) is not None:
            check_streaming_room(model, options, stage.out)
        else:
            check_memory(model, options)
        with attention_mode(model, options.attention, options.tile_size, options.window):
            wrapper = ExportWrapper(model, options.input_size, options.in_graph_preprocess, options.decode).eval()
            plan = None
            if options.quantized:
                with clock("calibrate"):
                    plan = quantization.plan_quantization(wrapper, options, target)
            with clock("export"):
                with reference_forward(model):
                    example = dict(zip(wrapper.output_names, (t.numpy() for t in wrapper(wrapper.example_input()))))
                with deconv_form(model, options.deconv):
                    if export is not None:
                        exported = export(wrapper, stage.path, options)
                    else:
                        exported = target.export(wrapper, stage.path, options, plan.transform if plan else None)
                files = exported.files
            quantized = None
            if plan is not None:
                with clock("quantize"):
                    quantized = quantization.quantize_exported(wrapper, stage.path, options, plan, target)
                files = quantized.files
            cls = target.runtime_class()
            runtime = RuntimeInfo(cls.name, cls.version(), target.runtime_settings(options))
            manifest = build_manifest(
                model, source, options, wrapper, example, stage.describe(files), runtime, target.capabilities.opset, quantized.record if quantized else None,
                unverified=exported.unverified,
            )
            with clock("verify"):
                fidelity = verify_artifact(stage.path, manifest, model, wrapper, options)
            if quantized is not None:
                with clock("accuracy"):
                    accuracy = quantization.check_accuracy(stage.path, manifest, wrapper, quantized, options, target)
        report = _report(manifest, fidelity, clock.seconds) | exported.report
        report["weights"] = "streamed from the checkpoint" if streamed_weights(model) is not None else "resident"
        if quantized is not None:
            report |= {"quantization": quantized.report, "accuracy": accuracy}
        if not fidelity["gate"]["passed"]:
            kept = write_failed_report(out, report)
            raise FidelityGateError(
                f"{options.target} {options.precision} artifact fails the fidelity gate: {'; '.join(fidelity['gate']['failures'])}",
                kept,
            )
        if quantized is not None and not accuracy["gate"]["passed"]:
            raise AccuracyGateError(
                f"{options.target} {options.precision} artifact fails the accuracy gate: {'; '.join(accuracy['gate']['failures'])}",
                write_failed_report(out, report),
            )
        if precision_choice is not None:
            manifest = replace(manifest, precision_choice=dict(precision_choice))
            report["precision_choice"] = dict(precision_choice)
        with clock("write"):
            path = stage.publish(manifest, report)
    return CompileResult(path, manifest, report)


def _report(manifest: Manifest, fidelity: Mapping[str, Any], seconds: Mapping[str, float]) -> dict[str, Any]:
    return {
        "sdk_version": __version__,
        "created": manifest.created,
        "task": manifest.task,
        "target": manifest.target,
        "precision": manifest.precision,
        "random_weights": manifest.random_weights,
        **fidelity,
        "artifact_bytes": manifest.artifact_bytes,
        "artifacts": [artifact.file for artifact in manifest.artifacts],
        "timings_s": dict(seconds),
        "compile_s": round(sum(seconds.values()), 3),
        "versions": {"torch": torch.__version__, "numpy": np.__version__, manifest.runtime.name: manifest.runtime.version},
    }
