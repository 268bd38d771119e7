"""Build the model a config asks for and initialise it from a checkpoint (official ``LOAD_FROM`` rules).

``init_from`` may be a backbone (pretrain) or a task checkpoint: tensors whose name and shape match
are copied, the rest keep their fresh initialisation and are reported, as the official loader does
when a head's keypoint count differs from the checkpoint's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from sapiens2.checkpoints import load_state_dict
from sapiens2.errors import UserError
from sapiens2.models import ArchSpec, build_task_model, head_preset, official_name, resolve_arch
from sapiens2.models.multitask_model import HEAD_TASKS, MULTITASK

from .config import ModelConfig


def build_model(config: ModelConfig, head_outputs: int | Mapping[str, int] | None) -> nn.Module:
    """The task model of ``config``; ``head_outputs`` (keypoints or classes) follows the dataset.

    For ``multitask``, ``config.head`` and ``head_outputs`` map each head's task (pose, seg) to its
    overrides and its output count.
    """
    try:
        spec = resolve_arch(config.arch)
    except (ValueError, TypeError) as error:
        raise UserError(f"model.arch: {error}") from None
    if config.task == MULTITASK:
        overrides, outputs = config.head or {}, head_outputs or {}
        head: dict[str, Any] = {t: _head(t, spec, config.img_size, overrides.get(t), outputs.get(t)) for t in HEAD_TASKS}
    else:
        head = _head(config.task, spec, config.img_size, config.head, head_outputs)
    return build_task_model(
        config.task,
        spec,
        head=head,
        img_size=config.img_size,
        attention=config.attention,
        attention_window=config.attention_window,
        gradient_checkpointing=config.gradient_checkpointing,
        pos_embed_rope_dtype=config.pos_embed_rope_dtype,
    )


def _head(task: str, spec: ArchSpec, img_size: Any, overrides: Mapping[str, Any] | None, outputs: int | None) -> dict[str, Any]:
    """The official preset of ``task`` with the config's overrides and the dataset's output count."""
    head = head_preset(task, official_name(spec), spec.embed_dims, img_size) | dict(overrides or {})
    if outputs is not None:
        head["out_channels" if task == "pose" else "num_classes"] = outputs
    return head


def initialise_from(model: nn.Module, source: str) -> dict[str, list[str]]:
    """Copy the tensors of ``source`` that fit ``model``; returns the names it ``skipped`` and left ``fresh``."""
    state = load_state_dict(source)
    if not any(key.startswith(("backbone.", "decode_head.", "decode_heads.")) for key in state):
        state = {f"backbone.{key}": value for key, value in state.items()}
    own = model.state_dict()
    fits = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not any(k.startswith("backbone.") for k in fits):
        raise UserError(f"{source} has no backbone tensor that fits this model (is it the same arch?)")
    with torch.no_grad():
        for key, value in fits.items():
            own[key].copy_(value.to(own[key].dtype))
    return {"skipped": sorted(set(state) - set(fits)), "fresh": sorted(set(own) - set(fits))}


def describe(model: nn.Module) -> Mapping[str, Any]:
    """Parameter counts for the log: backbone and total trainable."""
    count = lambda module: sum(p.numel() for p in module.parameters() if p.requires_grad)  # noqa: E731
    return {"backbone_params": count(model.backbone), "trainable_params": count(model)}
