"""Where a compiled model's weights come from, and how to get the same model back later.

A bundle records its source: a checkpoint (path + SHA-256 of its files) or seeded random weights.
``reference_wrapper`` rebuilds the exact model from that record, so benchmarks and the eager
runtime compare against the weights the artifact was made from.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from sapiens2.bundle import RANDOM_WEIGHTS, Manifest, ModelSource, sha256_file
from sapiens2.checkpoints import load_model
from sapiens2.checkpoints.readers import TORCH, locate_checkpoint, read_tensors
from sapiens2.limits import available_bytes
from sapiens2.targets import get_target
from sapiens2.models import (
    ArchSpec,
    Sapiens2TaskModel,
    build_task_model,
    official_name,
    resolve_arch,
)

from sapiens2.errors import CompileError
from .memory import FP32_BYTES, runtime_copy_bytes
from .options import DEFAULT_TILE_SIZE, DEFAULT_WINDOW, CompileOptions
from .streaming import stream_checkpoint_model, streams
from .wrappers import ExportWrapper


def checkpoint_sha256(source: str | os.PathLike[str]) -> str:
    """SHA-256 of a single-file checkpoint; for shards, the SHA-256 of the shards' "name sha256" lines."""
    paths = locate_checkpoint(source).paths
    if len(paths) == 1:
        return sha256_file(paths[0])
    lines = "".join(f"{path.name} {sha256_file(path)}\n" for path in sorted(paths, key=lambda p: p.name))
    return hashlib.sha256(lines.encode()).hexdigest()


def should_stream(source: str | os.PathLike[str], options: CompileOptions, available: int | None = None) -> bool:
    """``--stream-weights``, or a ``.safetensors`` checkpoint whose fp32 model and the runtime's copy of its weights
    do not fit together in the memory left (free RAM + swap): then its blocks stay in the file (``streaming.py``)."""
    if options.stream_weights:
        return True
    files = locate_checkpoint(source)
    if files.format == TORCH or not streams(get_target(options.target), options):
        return False
    parameters = sum(tensor.numel() for tensor in read_tensors(files, meta=True).values())
    available = available_bytes() if available is None else available
    return available is not None and FP32_BYTES * parameters + runtime_copy_bytes(parameters, options) > available


def load_checkpoint_model(
    source: str | os.PathLike[str],
    task: str | None = None,
    arch: str | Mapping[str, Any] | ArchSpec | None = None,
    stream: bool = False,
) -> tuple[Sapiens2TaskModel, ModelSource]:
    """The task model a checkpoint holds (``task``/``arch`` check it), in eval mode, with its source record.

    ``stream``: its encoder blocks stay in the file and are read when needed (``streaming.py``).
    """
    model = stream_checkpoint_model(source, task, arch) if stream else load_model(source, expect="task", task=task, arch=arch)
    return model, ModelSource("checkpoint", path=os.fspath(source), sha256=checkpoint_sha256(source))


def random_weights_model(
    task: str, arch: str | Mapping[str, Any] | ArchSpec, input_size: tuple[int, int], seed: int = 0
) -> tuple[Sapiens2TaskModel, ModelSource]:
    """A task model with the official initialisation drawn from ``seed`` (same seed, same weights)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build_task_model(task, arch, img_size=tuple(input_size))
    return model.eval(), ModelSource(RANDOM_WEIGHTS, seed=seed)


def arch_record(model: Sapiens2TaskModel) -> str | dict[str, int]:
    """The manifest's ``arch``: the official name, or the five numbers of a custom size."""
    spec = model.backbone.arch_spec
    return official_name(spec) or spec.as_dict()


def reference_wrapper(manifest: Manifest, checkpoint: str | os.PathLike[str] | None = None) -> ExportWrapper:
    """The eager ``ExportWrapper`` a bundle was exported from, rebuilt from its recorded source.

    ``checkpoint`` replaces the recorded path (e.g. the bundle moved machines); its SHA-256 must
    still match the manifest.
    """
    export = manifest.export
    if manifest.source.random_weights:
        model, _ = random_weights_model(manifest.task, resolve_arch(manifest.arch), export.input_size, manifest.source.seed or 0)
    else:
        path = checkpoint or manifest.source.path
        if path is None or (not Path(path).exists() and "://" not in os.fspath(path)):
            raise CompileError(
                f"the bundle was compiled from {manifest.source.path}, which is not here: pass the checkpoint path"
            )
        digest = checkpoint_sha256(path)
        if digest != manifest.source.sha256:
            raise CompileError(
                f"checkpoint {path} (sha256 {digest[:12]}...) is not the one the bundle was compiled from "
                f"(sha256 {manifest.source.sha256[:12]}...)"
            )
        model, _ = load_checkpoint_model(path, manifest.task)
    model.backbone.set_attention(export.attention, tile_size=export.tile_size or DEFAULT_TILE_SIZE, window=export.window or DEFAULT_WINDOW)
    layout = manifest.inputs[0].layout if export.in_graph_preprocess else None
    return ExportWrapper(model, export.input_size, preprocess=layout, decode=export.decode).eval()
