"""The benchmark matrix: one ``RowSpec`` per task x size x target x precision x attention.

Targets are the compile targets of ``sapiens2.compile.options.TARGETS`` (read at call time: other
targets register there) plus two that need no bundle: ``torch`` (PyTorch eager) and
``torch-compile`` (``torch.compile`` of the same module); torch rows also take ``int8`` and
``int8-weights`` (torchao on a copy of the module). Every (task, size) group starts with the
reference row, PyTorch eager fp32 with the official numerics (bf16 RoPE, SDPA), which every other
row of the group is timed against.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sapiens2.compile import options as compile_options
from sapiens2.errors import UserError
from sapiens2.targets import compile_targets, get_target
from sapiens2.models import ATTENTION_KINDS, TASKS

TORCH = "torch"
TORCH_COMPILE = "torch-compile"
TORCH_TARGETS = (TORCH, TORCH_COMPILE)
REFERENCE_PRECISION = "fp32"
REFERENCE_ATTENTION = "sdpa"

T = TypeVar("T")


def bench_targets() -> tuple[str, ...]:
    """Every target a row may name, the compile targets as registered right now."""
    return (*TORCH_TARGETS, *compile_targets())


def bench_precisions() -> tuple[str, ...]:
    return tuple(compile_options.PRECISIONS)


@dataclass(frozen=True)
class RowSpec:
    """What one row measures."""

    task: str
    input_size: tuple[int, int]
    target: str
    precision: str = REFERENCE_PRECISION
    attention: str | None = REFERENCE_ATTENTION  # None where the row has no such switch (MediaPipe)
    deconv: str | None = None  # a given bundle's export form of the heads' deconvs; None: the target's default

    @property
    def group(self) -> tuple[str, tuple[int, int]]:
        """Rows of one group share the reference model and input."""
        return self.task, self.input_size

    @property
    def is_reference(self) -> bool:
        return (self.target, self.precision, self.attention) == (TORCH, REFERENCE_PRECISION, REFERENCE_ATTENTION)

    @property
    def label(self) -> str:
        """``onnx fp32``, with the attention mode when it is not the reference's and the deconv form when it is not the target's default."""
        attention = "" if self.attention in (None, REFERENCE_ATTENTION) else f" {self.attention}"
        default_deconv = get_target(self.target).capabilities.default_deconv if self.target in compile_targets() else "native"
        deconv = "" if self.deconv in (None, default_deconv) else f" {self.deconv}-deconv"
        return f"{self.target} {self.precision}{attention}{deconv}"


def reference_row(task: str, input_size: tuple[int, int]) -> RowSpec:
    return RowSpec(task, input_size, TORCH)


def expand_matrix(
    tasks: Sequence[str],
    sizes: Sequence[tuple[int, int]],
    targets: Sequence[str],
    precisions: Sequence[str],
    attentions: Sequence[str] = (REFERENCE_ATTENTION,),
) -> list[RowSpec]:
    """Every combination, grouped by task then size, each group led by its reference row."""
    _check("task", tasks, TASKS)
    _check("target", targets, bench_targets())
    _check("precision", precisions, bench_precisions())
    _check("attention", attentions, ATTENTION_KINDS)
    if not sizes:
        raise UserError("give at least one input size, e.g. --sizes 256x192")
    rows = []
    for task, size in itertools.product(_unique(tasks), _unique(sizes)):
        rows.append(reference_row(task, size))
        for target, precision, attention in itertools.product(_unique(targets), _unique(precisions), _unique(attentions)):
            spec = RowSpec(task, size, target, precision, attention)
            if not spec.is_reference:
                rows.append(spec)
    return rows


def _unique(values: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(values))


def _check(what: str, values: Sequence[str], choices: Sequence[str]) -> None:
    if not values:
        raise UserError(f"give at least one {what}; choose from {', '.join(choices)}")
    unknown = [value for value in values if value not in choices]
    if unknown:
        raise UserError(f"unknown {what} {', '.join(map(repr, unknown))}; choose from {', '.join(choices)}")
