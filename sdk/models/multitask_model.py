"""A multi-task model: one backbone, a pose head and a segmentation head, both fed by one forward pass.

Keys: ``backbone.*`` (the official encoder layout) and ``decode_heads.pose.*`` / ``decode_heads.seg.*``
(each head in the official ``decode_head.*`` layout of its task), so each part can be read with
the single-task tools. ``forward`` returns ``(heatmaps, logits)``, the order of ``HEAD_TASKS``.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from .backbone import Sapiens2Backbone
from .heads import HEAD_CLASSES
from .heads.config import head_kwargs
from .task_model import _init_head_weights

MULTITASK = "multitask"
HEAD_TASKS = ("pose", "seg")
HEADS_PREFIX = "decode_heads."


class Sapiens2MultiTaskModel(nn.Module):
    """``(pose_head(f), seg_head(f))`` with ``f = backbone(x)[0]``: the backbone runs once for both."""

    task = MULTITASK

    def __init__(self, backbone: Sapiens2Backbone, head_configs: Mapping[str, Mapping[str, Any]]) -> None:
        super().__init__()
        missing = [task for task in HEAD_TASKS if task not in head_configs]
        if missing or len(head_configs) != len(HEAD_TASKS):
            raise ValueError(f"a multitask model needs exactly the heads {HEAD_TASKS}, got {sorted(head_configs)}")
        if backbone.out_type != "featmap":
            raise ValueError(f"a task model needs out_type='featmap', got {backbone.out_type!r}")
        self.backbone = backbone
        self.head_configs = {task: dict(head_kwargs(HEAD_CLASSES[task], head_configs[task])) for task in HEAD_TASKS}
        self.decode_heads = nn.ModuleDict({task: HEAD_CLASSES[task](**self.head_configs[task]) for task in HEAD_TASKS})
        self.decode_heads.apply(_init_head_weights)

    @property
    def head_config(self) -> dict[str, Any]:
        """The pose head's config: the larger of the two output maps, what memory estimates need."""
        return self.head_configs["pose"]

    def input_size_problem(self, input_size: tuple[int, int]) -> str | None:
        """Neither head fixes the input size."""
        return None

    def forward(
        self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.backbone(x, rope)[0]
        return tuple(self.decode_heads[task](features) for task in HEAD_TASKS)
