"""``quantize_bundle``: a quantized bundle derived from a float one, without repeating its compile options.

The options come back from the float bundle's manifest (``CompileOptions.from_record``), the
request-only ones (gates, calibration, threads) at their defaults.

The source is the float bundle the target's quantized compile starts from: fp32, or fp16 for Core
ML (its default, which weight compression keeps computing in). Its artifact is copied, not
re-exported, and goes through the same steps as
``sapiens2 compile --precision ...`` (``compile_bundle`` with a copying exporter): quantize,
verify against PyTorch, accuracy gate, write. The PyTorch model is rebuilt from the bundle's
recorded source (its checkpoint, checked by SHA-256, or its random-weights seed), because the
sensitivity scan and the accuracy gate compare against it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sapiens2.bundle import Bundle, read_bundle
from sapiens2.errors import CompileError
from sapiens2.targets import ExportedArtifact, get_target

from .options import CompileOptions
from .pipeline import CompileResult, Exporter, ModelLoader, Progress, compile_bundle
from .source import reference_wrapper


def bundle_options(bundle: Bundle, **changes: Any) -> CompileOptions:
    """The options the float bundle was compiled with (its manifest's record), with ``changes`` applied and the
    request-only fields (gates, calibration, threads, extra delegates) back at their defaults."""
    record = bundle.manifest.compile_options
    if not record:
        raise CompileError(
            f"{bundle.path} was compiled by an SDK that did not record its compile options "
            f"(sdk {bundle.manifest.sdk_version}): compile it again with this version"
        )
    return CompileOptions.from_record(record).derived(**changes)


def bundle_model(bundle: Bundle, checkpoint: str | os.PathLike[str] | None = None) -> ModelLoader:
    """The bundle's source model (``checkpoint`` replaces a recorded path that moved; its SHA-256 must match)."""
    return lambda options: (reference_wrapper(bundle.manifest, checkpoint).model, bundle.manifest.source)


def float_precision(target: str) -> str:
    """The float precision a target's quantized compile starts from, so the one ``quantize`` derives from."""
    return get_target(target).capabilities.default_precision


def copy_artifacts(bundle: Bundle) -> Exporter:
    """An exporter that copies the bundle's artifact files (``.mlpackage`` folders too) instead of exporting;
    what the source could not run here stays marked unverified."""

    def export(wrapper: object, directory: Path, options: CompileOptions) -> ExportedArtifact:
        for artifact in bundle.manifest.artifacts:
            destination = directory / artifact.file
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(bundle.artifact_path(artifact.file), destination)
        return ExportedArtifact([artifact.file for artifact in bundle.manifest.artifacts], unverified=dict(bundle.manifest.unverified))

    return export


def quantize_bundle(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    precision: str,
    *,
    checkpoint: str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
    overwrite: bool = False,
    **options: Any,
) -> CompileResult:
    """Quantize the float bundle at ``source`` (fp32; Core ML: fp16) to ``precision`` into a new bundle at ``out``.

    ``options`` are the quantization fields of ``CompileOptions`` (``calibration``,
    ``calibration_size``, ``float_budget``, the ``min_*`` accuracy thresholds, ``threads``).
    """
    bundle = read_bundle(source)
    manifest = bundle.manifest
    start = float_precision(manifest.target)
    if manifest.precision != start:
        raise CompileError(
            f"{source} is a {manifest.precision} bundle; {manifest.target} quantize derives from {start} bundles only "
            f"(what `sapiens2 compile --target {manifest.target}` writes by default)"
        )
    if get_target(manifest.target).capabilities.quantize_during_export:
        raise CompileError(f"{manifest.target} quantizes before lowering, so it cannot start from a lowered program: compile with --precision {precision}")
    if Path(out).absolute() == bundle.path.absolute():
        raise CompileError("the quantized bundle needs its own --out; it cannot replace its fp32 source")
    options = bundle_options(bundle, precision=precision, **options)
    return compile_bundle(bundle_model(bundle, checkpoint), options, out, progress=progress, overwrite=overwrite, export=copy_artifacts(bundle))
