"""Where a benchmark's weights come from: one checkpoint per task, or seeded official-init random weights."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sapiens2.checkpoints.infer import describe_arch
from sapiens2.compile import CompileOptions, from_checkpoint, from_random_weights
from sapiens2.compile.pipeline import ModelLoader
from sapiens2.compile.source import checkpoint_sha256
from sapiens2.models import ArchSpec, Sapiens2TaskModel, resolve_arch


@dataclass(frozen=True)
class Weights:
    """One task's weights: ``checkpoint``, or random weights of ``arch`` drawn from ``seed``."""

    task: str
    checkpoint: str | None = None
    arch: str | Mapping[str, Any] | ArchSpec | None = None
    seed: int = 0

    def loader(self) -> ModelLoader:
        """The compile pipeline's loader for these weights (the same weights on every call)."""
        if self.checkpoint is not None:
            return from_checkpoint(self.checkpoint, self.task)
        return from_random_weights(self.task, self.arch, self.seed)

    def load(self, input_size: tuple[int, int]) -> Sapiens2TaskModel:
        """The task model in eval mode (random weights are built for ``input_size``)."""
        model, _ = self.loader()(CompileOptions(input_size=input_size))
        return model

    @cached_property
    def identity(self) -> dict[str, Any]:
        """What makes these weights these weights: the checkpoint's SHA-256, or arch + seed + task."""
        if self.checkpoint is not None:
            return {"task": self.task, "checkpoint_sha256": checkpoint_sha256(self.checkpoint)}
        return {"task": self.task, "random_weights": resolve_arch(self.arch).as_dict(), "seed": self.seed}

    def describe(self) -> str:
        if self.checkpoint is not None:
            return os.fspath(self.checkpoint)
        return f"random weights, {describe_arch(resolve_arch(self.arch))}, seed {self.seed}"
