"""Top-down 308-keypoint heatmap head: deconvs (x4 upsampling) -> 1x1 convs -> ``conv_pose``."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .blocks import conv_stages, deconv_stages, last_channels


class PoseHeatmapHead(nn.Module):
    """Backbone featmap (B, D, h, w) -> raw heatmaps (B, K, h * 2^deconvs, w * 2^deconvs)."""

    CONFIG_KEYS = ("in_channels", "out_channels", "deconv_out_channels", "deconv_kernel_sizes", "conv_out_channels", "conv_kernel_sizes")

    def __init__(
        self,
        in_channels: int,
        out_channels: int = 308,
        deconv_out_channels: Sequence[int] = (1024, 768),
        deconv_kernel_sizes: Sequence[int] = (4, 4),
        conv_out_channels: Sequence[int] = (512, 512, 256),
        conv_kernel_sizes: Sequence[int] = (1, 1, 1),
    ) -> None:
        super().__init__()
        self.deconv_layers = deconv_stages(in_channels, deconv_out_channels, deconv_kernel_sizes)
        mid = last_channels(deconv_out_channels, in_channels)
        self.conv_layers = conv_stages(mid, conv_out_channels, conv_kernel_sizes)
        self.conv_pose = nn.Conv2d(last_channels(conv_out_channels, mid), out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_pose(self.conv_layers(self.deconv_layers(x)))
