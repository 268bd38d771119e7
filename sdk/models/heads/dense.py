"""Dense regression heads (normal, pointmap, albedo): input conv -> PixelShuffle x2 stages -> convs -> 1x1.

Albedo uses channel RMSNorm where the others use parameter-free InstanceNorm; the pointmap head
adds a scale branch (stride-2 1x1 convs + MLP) on the backbone featmap whose flattened width fixes
the input resolution.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .blocks import NormFactory, PixelShuffleUpsample, RMSNorm2d, conv_stages, instance_norm, last_channels


class _UpsamplingHead(nn.Module):
    """The shared dense trunk; subclasses name the output conv (``conv_<output_name>``)."""

    CONFIG_KEYS = ("in_channels", "upsample_channels", "conv_out_channels", "conv_kernel_sizes")
    output_name = ""
    norm: NormFactory = staticmethod(instance_norm)

    def __init__(
        self,
        in_channels: int,
        upsample_channels: Sequence[int] = (768, 512, 256, 128),
        conv_out_channels: Sequence[int] = (64, 32, 16),
        conv_kernel_sizes: Sequence[int] = (3, 3, 3),
    ) -> None:
        super().__init__()
        self.input_conv = conv_stages(in_channels, [in_channels], [3], norm=self.norm)
        blocks, current = [], in_channels
        for channels in upsample_channels:
            blocks.append(PixelShuffleUpsample(current, channels, norm=self.norm))
            current = channels
        self.upsample_blocks = nn.Sequential(*blocks)
        self.conv_layers = conv_stages(current, conv_out_channels, conv_kernel_sizes, norm=self.norm)
        out = nn.Conv2d(last_channels(conv_out_channels, current), 3, 1)
        setattr(self, f"conv_{self.output_name}", out)

    def dense(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv_layers(self.upsample_blocks(self.input_conv(x)))
        return getattr(self, f"conv_{self.output_name}")(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(x)


class NormalHead(_UpsamplingHead):
    """Raw (un-normalised) surface normals (B, 3, 16h, 16w)."""

    output_name = "normal"


class AlbedoHead(_UpsamplingHead):
    """Raw (unclamped) RGB albedo (B, 3, 16h, 16w)."""

    output_name = "albedo"
    norm = staticmethod(RMSNorm2d)


class PointmapHead(_UpsamplingHead):
    """Canonical-camera pointmap (B, 3, 16h, 16w) and its scale (B, 1); metric = canonical / scale."""

    CONFIG_KEYS = _UpsamplingHead.CONFIG_KEYS + ("scale_conv_out_channels", "scale_conv_kernel_sizes", "scale_final_layer")
    output_name = "pointmap"

    def __init__(
        self,
        in_channels: int,
        upsample_channels: Sequence[int] = (1536, 768, 512, 256),
        conv_out_channels: Sequence[int] = (64, 32, 16),
        conv_kernel_sizes: Sequence[int] = (3, 3, 3),
        scale_conv_out_channels: Sequence[int] = (1536, 512, 128),
        scale_conv_kernel_sizes: Sequence[int] = (1, 1, 1),
        scale_final_layer: Sequence[int] = (6144, 512, 128, 1),
    ) -> None:
        super().__init__(in_channels, upsample_channels, conv_out_channels, conv_kernel_sizes)
        self.scale_conv_layers = conv_stages(
            in_channels, scale_conv_out_channels, scale_conv_kernel_sizes, stride=2, same_padding=False
        )
        mlp: list[nn.Module] = [nn.Flatten()]
        for i, (fan_in, fan_out) in enumerate(zip(scale_final_layer[:-1], scale_final_layer[1:])):
            mlp.append(nn.Linear(fan_in, fan_out))
            if i < len(scale_final_layer) - 2:
                mlp.append(nn.SiLU())
        self.scale_final_layer = nn.Sequential(*mlp)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.dense(x), self.scale_final_layer(self.scale_conv_layers(x))
