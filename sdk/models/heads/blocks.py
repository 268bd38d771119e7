"""Conv / deconv / upsample stages shared by the heads.

Each stage is ``[op, norm, SiLU]`` (norm is parameter-free InstanceNorm2d, or channel RMSNorm for
albedo), flattened into one ``nn.Sequential`` so that checkpoint indices match the official heads
(conv at 0, 3, 6, ...).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

NormFactory = Callable[[int], nn.Module]


class RMSNorm2d(nn.Module):
    """RMSNorm over the channel axis of an NCHW map (key ``norm.weight``)."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.norm = nn.RMSNorm(channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def instance_norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels)


def deconv_padding(kernel_size: int) -> tuple[int, int]:
    """(padding, output_padding) that doubles the size for the official deconv kernels."""
    table = {4: (1, 0), 3: (1, 1), 2: (0, 0)}
    if kernel_size not in table:
        raise ValueError(f"deconv kernel size must be 2, 3 or 4, got {kernel_size}")
    return table[kernel_size]


def deconv_stages(in_channels: int, channels: Sequence[int], kernels: Sequence[int]) -> nn.Sequential:
    """Stride-2 transposed convs (no bias) + InstanceNorm + SiLU."""
    if len(channels) != len(kernels):
        raise ValueError(f"{len(channels)} deconv channels but {len(kernels)} kernel sizes")
    layers: list[nn.Module] = []
    for out, kernel in zip(channels, kernels):
        padding, output_padding = deconv_padding(kernel)
        layers += [
            nn.ConvTranspose2d(in_channels, out, kernel, stride=2, padding=padding, output_padding=output_padding, bias=False),
            instance_norm(out),
            nn.SiLU(),
        ]
        in_channels = out
    return nn.Sequential(*layers)


def conv_stages(
    in_channels: int,
    channels: Sequence[int],
    kernels: Sequence[int],
    norm: NormFactory = instance_norm,
    stride: int = 1,
    same_padding: bool = True,
) -> nn.Sequential:
    """Convs (with bias) + norm + SiLU; 'same' padding (k-1)//2 unless disabled."""
    if len(channels) != len(kernels):
        raise ValueError(f"{len(channels)} conv channels but {len(kernels)} kernel sizes")
    layers: list[nn.Module] = []
    for out, kernel in zip(channels, kernels):
        padding = (kernel - 1) // 2 if same_padding else 0
        layers += [nn.Conv2d(in_channels, out, kernel, stride=stride, padding=padding), norm(out), nn.SiLU()]
        in_channels = out
    return nn.Sequential(*layers)


class PixelShuffleUpsample(nn.Sequential):
    """3x3 conv to 4c channels -> PixelShuffle(2) -> norm(c) -> SiLU: doubles the resolution."""

    def __init__(self, in_channels: int, out_channels: int, norm: NormFactory = instance_norm) -> None:
        super().__init__(
            nn.Conv2d(in_channels, 4 * out_channels, 3, padding=1),
            nn.PixelShuffle(2),
            norm(out_channels),
            nn.SiLU(),
        )


def last_channels(channels: Sequence[int], default: int) -> int:
    return channels[-1] if len(channels) else default
