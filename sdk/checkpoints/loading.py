"""Checkpoint -> ready model: read, infer the model, check it is the one asked for, build, load strictly.

The model is built on the meta device and the checkpoint tensors are assigned into it (cast to the
dtypes the model declares), so nothing is randomly initialised only to be overwritten: a 5B model
loads with one copy of its weights in memory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import torch
from torch import nn

from ..models import ArchSpec, build_backbone, build_task_model, resolve_arch
from ..errors import CheckpointError
from .checks import check_finite, check_head
from .infer import CheckpointLayout, backbone_part, describe_arch, infer_layout
from .readers import load_state_dict

EXPECTATIONS = ("backbone", "task")
PREVIEW = 5

Source = str | os.PathLike[str]


def load_model(
    source: Source,
    *,
    expect: str | None = None,
    arch: str | Mapping[str, Any] | ArchSpec | None = None,
    task: str | None = None,
    strict: bool = True,
    take_backbone: bool = False,
    **backbone_kwargs: Any,
) -> nn.Module:
    """Build the model a checkpoint holds and load it; the result is in eval mode.

    ``expect`` / ``arch`` / ``task`` state what the caller wants and turn a mismatch into an error
    instead of a surprise. ``take_backbone=True`` loads only the encoder of a task checkpoint.
    Refused with a ``CheckpointError``: a head with missing stages or non-official kernel sizes or
    label counts (``checks.check_head``), and NaN/inf weights (``checks.check_finite``).
    Other keywords go to the backbone constructor (the RoPE dtype defaults to the stored one).
    """
    return model_from_state_dict(
        source, load_state_dict(source), expect=expect, arch=arch, task=task, strict=strict, take_backbone=take_backbone, **backbone_kwargs
    )


def model_from_state_dict(
    source: Source,
    state_dict: Mapping[str, torch.Tensor],
    *,
    expect: str | None = None,
    arch: str | Mapping[str, Any] | ArchSpec | None = None,
    task: str | None = None,
    strict: bool = True,
    take_backbone: bool = False,
    **backbone_kwargs: Any,
) -> nn.Module:
    """``load_model`` for tensors already read from ``source`` (named in the errors); the tensors are assigned, not copied."""
    expect = _expectation(expect, task, take_backbone)
    layout = layout_of(source, state_dict)
    if layout.kind == "task" and expect == "backbone":
        if not take_backbone:
            raise CheckpointError(
                f"{source} is a {layout.task} task checkpoint (backbone + decode_head) but a backbone was expected; "
                "pass take_backbone=True to load only its backbone (the head is dropped)"
            )
        state_dict = backbone_part(state_dict)
        layout = layout_of(source, state_dict)
    if layout.kind == "backbone" and expect == "task":
        raise CheckpointError(_backbone_only_message(source, layout, task))
    _check_request(source, layout, arch, task)
    check_head(source, layout, state_dict)
    check_finite(source, state_dict)

    kwargs = layout.backbone_kwargs() | backbone_kwargs
    if layout.kind == "task":
        build = partial(build_task_model, layout.task, layout.arch, head=layout.head, **kwargs)
    else:
        build = partial(build_backbone, layout.arch, **kwargs)
    with torch.device("meta"):
        model = build()
    expected = model.state_dict()
    missing = _check_keys(source, layout, expected, state_dict, strict)
    if missing:  # strict=False: what the checkpoint lacks keeps its fresh initialisation
        model = build()
    tensors = {key: value.to(expected[key].dtype) for key, value in state_dict.items() if key in expected}
    model.load_state_dict(tensors, strict=strict, assign=True)
    return model.eval()


def layout_of(source: Source, state_dict: Mapping[str, torch.Tensor]) -> CheckpointLayout:
    """``infer_layout`` with the source named in its errors."""
    try:
        return infer_layout(state_dict)
    except CheckpointError as error:
        raise CheckpointError(f"{source}: {error}") from None


def _expectation(expect: str | None, task: str | None, take_backbone: bool) -> str | None:
    if expect is not None and expect not in EXPECTATIONS:
        raise ValueError(f"expect must be 'backbone', 'task' or None, got {expect!r}")
    if take_backbone:
        if expect == "task" or task is not None:
            raise ValueError("take_backbone=True loads a backbone; it cannot be combined with expect='task' or a task")
        return "backbone"
    if task is not None:
        if expect == "backbone":
            raise ValueError(f"task={task!r} asks for a task model but expect='backbone'")
        return "task"
    return expect


def _backbone_only_message(source: Source, layout: CheckpointLayout, task: str | None) -> str:
    name = layout.arch_name or "ARCH"
    wanted = f"a {task} model" if task else "a task model"
    return (
        f"{source} holds only a backbone ({layout.describe_arch()}), no decode_head, but {wanted} was requested; "
        f"a task model needs a head: build it with build_task_model({task or 'TASK'!r}, {name!r}) and load this file "
        "into model.backbone with model.backbone.load_state_dict(load_state_dict(path)), "
        "or load it as a backbone with load_model(path, expect='backbone')"
    )


def _check_request(
    source: Source,
    layout: CheckpointLayout,
    arch: str | Mapping[str, Any] | ArchSpec | None,
    task: str | None,
) -> None:
    if arch is not None:
        wanted = resolve_arch(arch)
        if not _same_arch(wanted, layout):
            asked = arch if isinstance(arch, str) else describe_arch(wanted)
            suggestion = f"pass arch={layout.arch_name!r} or " if layout.arch_name else ""
            raise CheckpointError(
                f"checkpoint {source} is {layout.describe_arch()} but {asked} was requested; "
                f"{suggestion}leave arch out to use the checkpoint's"
            )
    if task is not None and task != layout.task:
        raise CheckpointError(
            f"checkpoint {source} is a {layout.task} model but task {task!r} was requested; "
            f"pass task={layout.task!r} or give a {task} checkpoint"
        )


def _same_arch(wanted: ArchSpec, layout: CheckpointLayout) -> bool:
    """Same five numbers; the tokenizer depth only counts when the checkpoint has a tokenizer."""
    if layout.use_tokenizer:
        return wanted == layout.arch
    return replace(wanted, num_tokenizer_layers=0) == replace(layout.arch, num_tokenizer_layers=0)


def _check_keys(
    source: Source,
    layout: CheckpointLayout,
    expected: Mapping[str, torch.Tensor],
    state_dict: Mapping[str, torch.Tensor],
    strict: bool,
) -> list[str]:
    """Raise on shape mismatches (always) and on missing/unexpected keys (when strict); return the missing keys."""
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    mismatched = [
        f"{key} {tuple(state_dict[key].shape)} vs {tuple(expected[key].shape)}"
        for key in expected
        if key in state_dict and state_dict[key].shape != expected[key].shape
    ]
    model = f"the {layout.task or 'backbone'} model built from it ({layout.describe_arch()})"
    if mismatched:
        raise CheckpointError(
            f"{source} does not fit {model}: tensors whose shapes differ (checkpoint vs model): {len(mismatched)} "
            f"({_preview(mismatched)}); the checkpoint's layout is not one this SDK builds"
        )
    if strict and (missing or unexpected):
        raise CheckpointError(
            f"{source} does not fit {model}: missing keys: {len(missing)} ({_preview(missing)}); "
            f"unexpected keys: {len(unexpected)} ({_preview(unexpected)}); "
            "fix the checkpoint, or pass strict=False to load the keys that fit"
        )
    return missing


def _preview(keys: list[str]) -> str:
    shown = ", ".join(keys[:PREVIEW])
    more = len(keys) - PREVIEW
    return f"{shown}, ... {more} more" if more > 0 else shown or "none"
