"""A task model: ``backbone`` (featmap output) + ``decode_head``, the official estimator layout."""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from .backbone import Sapiens2Backbone
from .heads import HEAD_CLASSES
from .heads.config import head_kwargs
from .heads.presets import scale_mlp_width


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

    def input_size_problem(self, input_size: tuple[int, int]) -> str | None:
        """Why this model cannot run at ``input_size`` (H, W), or None when it can.

        Only the pointmap head restricts the size: its scale MLP's first Linear takes a fixed number
        of features, which the input size determines.
        """
        if self.task != "pointmap":
            return None
        backbone, head = self.backbone, self.head_config
        tokens_per_side = backbone.tokenizer.window_size if backbone.tokenizer is not None else 1

        def mlp_width(size: tuple[int, int]) -> int:
            return scale_mlp_width(size, backbone.patch_size, tokens_per_side, head["scale_conv_out_channels"][-1])

        features = head["scale_final_layer"][0]
        if mlp_width(input_size) == features:
            return None
        height, width = input_size
        fits_own_size = mlp_width(backbone.img_size) == features
        hint = f" ({'x'.join(map(str, backbone.img_size))} fits)" if fits_own_size else " (official checkpoints: 1024x768)"
        return (
            f"this pointmap model's scale head does not fit {height}x{width} inputs: its MLP takes {features} features, "
            f"this size gives {mlp_width(input_size)}; use the input size the checkpoint was made for{hint}"
        )

    def forward(
        self, x: torch.Tensor, rope: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        return self.decode_head(self.backbone(x, rope)[0])


def _init_head_weights(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
