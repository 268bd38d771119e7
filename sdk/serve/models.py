"""The models a server holds: what to load (``ModelSpec``), and each loaded one (``ServedModel``).

A served model is a local ``Predictor`` (the same loading, precision and pipelines as
``sapiens2.load``) split at the model call: the request handler prepares the image with the
model's pipeline, the batcher runs the model on inputs gathered from many requests, and the
pipeline finishes each request's slice.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from sapiens2.api import load
from sapiens2.errors import UserError
from sapiens2.models.arch_zoo import official_name
from sapiens2.pipelines import PIPELINES, Pipeline
from sapiens2.predictor import Predictor
from sapiens2.targets.torch.model_runner import TorchModelRunner, default_precision, resolve_device

from .gpu_memory import check_fits
from .settings import ServeSettings


@dataclass(frozen=True)
class ModelSpec:
    """One model to serve: a checkpoint, or ``arch`` + ``task`` with random weights (trials).

    ``name`` is the URL's ``/v1/models/{name}``; None names the model after its task.
    """

    name: str | None = None
    checkpoint: str | None = None
    arch: str | None = None
    task: str | None = None
    random_weights: bool = False
    seed: int = 0


@dataclass(frozen=True)
class LoadOptions:
    """How every model of a server runs: device, precision, input size, attention, torch.compile."""

    device: str = "auto"
    precision: str | None = None
    input_size: tuple[int, int] | None = None
    attention: str = "auto"
    compile: bool = False


# Beyond this many encoder tokens, exact query-tiled attention bounds the score matrices' memory.
TILED_ATTENTION_TOKENS = 4096


class ServedModel:
    """A named model: ``info`` for ``GET /v1/models``, ``pipeline(flip)`` and ``run`` for predictions."""

    def __init__(self, name: str, predictor: Predictor, arch: str | None = None) -> None:
        self.name = name
        self.predictor = predictor
        self.task = predictor.task
        self.arch = arch
        self._pipelines: dict[bool, Pipeline] = {}

    def info(self) -> dict[str, Any]:
        meta = self.predictor.meta
        return {
            "name": self.name,
            "task": self.task,
            "arch": self.arch,
            "input_size": list(self.predictor.io.input_size),
            "precision": meta.get("precision"),
            "device": meta.get("device", "cpu"),
            "random_weights": bool(meta.get("random_weights", False)),
        }

    def pipeline(self, flip: bool) -> Pipeline:
        """The task pipeline; pose keeps one with and one without the flip test."""
        if flip not in self._pipelines:
            options = {"flip": flip} if self.task == "pose" else {}
            self._pipelines[flip] = PIPELINES[self.task](self.predictor.io, **options)
        return self._pipelines[flip]

    def run(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """Raw model outputs for prepared inputs (N, H, W, 3) uint8 BGR, in chunks of the max batch."""
        return self.predictor.run_model(inputs)


def load_served_model(spec: ModelSpec, options: LoadOptions, settings: ServeSettings) -> ServedModel:
    """Load one model as ``sapiens2.load`` does, refusing it (with the figures) if it cannot fit the GPU.

    The model is read on the CPU first: the memory check needs its parameter count and token grid,
    and only then does it move to the device at the serving precision.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="RANDOM WEIGHTS")
        on_cpu = load(
            spec.checkpoint,
            arch=spec.arch,
            task=spec.task,
            random_weights=spec.random_weights,
            seed=spec.seed,
            device="cpu",
            precision="fp32",
            input_size=options.input_size,
        )
    model = on_cpu.runtime.model
    device = resolve_device(options.device)
    precision = options.precision or default_precision(device)
    if device.type == "cuda":
        check_fits(spec.name or model.task, model, on_cpu.io.input_size, precision, settings.max_batch, device)
    choose_attention(model, on_cpu.io.input_size, options.attention)
    runner = TorchModelRunner(model, str(device), precision)
    if options.compile:
        runner.model = torch.compile(runner.model, dynamic=True)
    meta = on_cpu.meta | {"device": str(runner.device), "precision": runner.precision}
    predictor = Predictor(on_cpu.io, runner, batch_size=settings.max_batch, meta=meta)
    return ServedModel(spec.name or model.task, predictor, official_name(model.backbone.arch_spec))


def choose_attention(model: torch.nn.Module, input_size: tuple[int, int], attention: str) -> str:
    """``auto``: SDPA (its fused flash/memory-efficient kernels on CUDA), query-tiled past
    ``TILED_ATTENTION_TOKENS`` tokens; ``sdpa`` or ``tiled`` force one. Returns the choice."""
    if attention not in ("auto", "sdpa", "tiled"):
        raise UserError(f"attention must be auto, sdpa or tiled, got {attention!r}")
    rows, cols = model.backbone.token_grid(input_size)
    if attention == "auto":
        attention = "tiled" if rows * cols > TILED_ATTENTION_TOKENS else "sdpa"
    model.backbone.set_attention(attention)
    return attention


def load_models(specs: list[ModelSpec], options: LoadOptions, settings: ServeSettings) -> dict[str, ServedModel]:
    """Every model of ``specs`` by name, with a progress bar on stderr."""
    models: dict[str, ServedModel] = {}
    with tqdm(specs, desc="loading models", unit="model", file=sys.stderr) as progress:
        for spec in progress:
            progress.set_postfix_str(spec.name or spec.checkpoint or spec.task or "")
            served = load_served_model(spec, options, settings)
            if served.name in models:
                raise UserError(f"two models are named {served.name!r}: name them with --checkpoint NAME=PATH")
            models[served.name] = served
    return models
