"""Body-part segmentation head: four deconvs (x16) -> 1x1 convs -> ``conv_seg`` logits."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .blocks import conv_stages, deconv_stages, last_channels


class SegHead(nn.Module):
    """Backbone featmap (B, D, h, w) -> class logits (B, num_classes, 16h, 16w)."""

    CONFIG_KEYS = ("in_channels", "num_classes", "deconv_out_channels", "deconv_kernel_sizes", "conv_out_channels", "conv_kernel_sizes")

    def __init__(
        self,
        in_channels: int,
        num_classes: int = 29,
        deconv_out_channels: Sequence[int] = (512, 256, 128, 64),
        deconv_kernel_sizes: Sequence[int] = (4, 4, 4, 4),
        conv_out_channels: Sequence[int] = (64, 64),
        conv_kernel_sizes: Sequence[int] = (1, 1),
    ) -> None:
        super().__init__()
        self.deconv_layers = deconv_stages(in_channels, deconv_out_channels, deconv_kernel_sizes)
        mid = last_channels(deconv_out_channels, in_channels)
        self.conv_layers = conv_stages(mid, conv_out_channels, conv_kernel_sizes)
        self.conv_seg = nn.Conv2d(last_channels(conv_out_channels, mid), num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_seg(self.conv_layers(self.deconv_layers(x)))
