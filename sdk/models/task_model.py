"""A task model: ``backbone`` (featmap output) + ``decode_head``, the official estimator layout."""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from .backbone import Sapiens2Backbone
from .heads import HEAD_CLASSES
from .heads.config import head_kwargs


class Sapiens2TaskModel(nn.Module):
    """``decode_head(backbone(x)[0])``; pointmap returns ``(pointmap, scale)``, other tasks one tensor."""

    def __init__(self, task: str, backbone: Sapiens2Backbone, head_config: Mapping[str, Any]) -> None:
        super().__init__()
        if task not in HEAD_CLASSES:
            raise ValueError(f"unknown task {task!r}; tasks: {', '.join(HEAD_CLASSES)}")
        if backbone.out_type != "featmap":
            raise ValueError(f"a task model needs out_type='featmap', got {backbone.out_type!r}")
        head_cls = HEAD_CLASSES[task]
        self.task = task
        self.head_config = dict(head_kwargs(head_cls, head_config))
        self.backbone = backbone
        self.decode_head = head_cls(**self.head_config)
        self.decode_head.apply(_init_head_weights)

    def forward(
        self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        return self.decode_head(self.backbone(x, rope)[0])


def _init_head_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
