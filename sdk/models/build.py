"""The two builders: ``build_backbone`` and ``build_task_model``."""

from __future__ import annotations

import warnings
from typing import Any, Mapping

from .arch_zoo import ArchSpec, official_name, resolve_arch
from .backbone import Sapiens2Backbone
from .heads.presets import head_preset
from .multitask_model import HEAD_TASKS, MULTITASK, Sapiens2MultiTaskModel
from .task_model import Sapiens2TaskModel

# Keys an official config's backbone dict may carry that are not constructor arguments here.
_CONFIG_ONLY_KEYS = ("type",)


def build_backbone(arch: str | Mapping[str, Any] | ArchSpec = "sapiens2_1b", **kwargs: Any) -> Sapiens2Backbone:
    """Build the encoder; keyword names follow the official constructor (an official backbone dict works).

    ``init_cfg`` (official pretrained loading) is not honoured here: model code never opens files;
    load weights with ``sapiens2.checkpoints``.
    """
    for key in _CONFIG_ONLY_KEYS:
        kwargs.pop(key, None)
    if kwargs.pop("init_cfg", None):
        warnings.warn("init_cfg is ignored; load weights with sapiens2.checkpoints.load_model", stacklevel=2)
    return Sapiens2Backbone(arch=arch, **kwargs)


def build_task_model(
    task: str,
    arch: str | Mapping[str, Any] | ArchSpec = "sapiens2_1b",
    head: Mapping[str, Any] | None = None,
    **backbone_kwargs: Any,
) -> Sapiens2TaskModel | Sapiens2MultiTaskModel:
    """Build backbone + head for ``task``; ``head=None`` uses the official preset for the task and size.

    ``task="multitask"`` builds a pose and a seg head on one backbone; ``head`` then maps each of
    the two tasks to its head config (a missing one gets the preset).
    """
    spec = resolve_arch(arch)
    backbone_kwargs.setdefault("out_type", "featmap")
    backbone = build_backbone(spec, **backbone_kwargs)
    tokens_per_side = backbone.tokenizer.window_size if backbone.tokenizer is not None else 1

    def preset(name: str) -> dict[str, Any]:
        return head_preset(name, official_name(spec), spec.embed_dims, backbone.img_size, backbone.patch_size, tokens_per_side)

    if task == MULTITASK:
        given = dict(head or {})
        return Sapiens2MultiTaskModel(backbone, {name: given.get(name) or preset(name) for name in HEAD_TASKS})
    return Sapiens2TaskModel(task, backbone, preset(task) if head is None else head)
