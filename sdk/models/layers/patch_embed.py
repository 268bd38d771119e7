"""Non-overlapping patch embedding (key ``patch_embed.projection``)."""

import torch
from torch import nn


class PatchEmbed(nn.Module):
    """Conv with kernel = stride = patch size; returns tokens (B, h*w, D) and the grid (h, w).

    Like the official model, inputs whose sides are not multiples of the patch size are cropped
    by the strided convolution.
    """

    def __init__(self, in_channels: int, embed_dims: int, patch_size: int) -> None:
        super().__init__()
        self.projection = nn.Conv2d(in_channels, embed_dims, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        x = self.projection(x)
        grid = (x.shape[2], x.shape[3])
        return x.flatten(2).transpose(1, 2), grid
