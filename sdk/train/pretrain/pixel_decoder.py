"""Masked reconstruction in pixel space: a PixelShuffle decoder from the feature map, loss on masked patches."""

from __future__ import annotations

import torch
from torch import nn


class PixelShuffleDecoder(nn.Module):
    """Feature map (B, D, h, w) -> image (B, 3, h * p, w * p): one 1x1 conv to 3 p^2 channels, then PixelShuffle(p)."""

    def __init__(self, embed_dims: int, patch_size: int) -> None:
        super().__init__()
        self.project = nn.Conv2d(embed_dims, 3 * patch_size**2, 1)
        self.shuffle = nn.PixelShuffle(patch_size)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.project(features))


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(B, 3, H, W) -> (B, N, 3 p^2) in row-major patch order (the token order)."""
    batch, channels, height, width = images.shape
    p = patch_size
    patches = images[:, :, : height // p * p, : width // p * p].unfold(2, p, p).unfold(3, p, p)  # B, C, h, w, p, p
    return patches.permute(0, 2, 3, 1, 4, 5).reshape(batch, (height // p) * (width // p), channels * p * p)


def masked_reconstruction_loss(pred: torch.Tensor, images: torch.Tensor, mask: torch.Tensor, patch_size: int) -> torch.Tensor:
    """MSE on the masked patches against per-patch normalised pixels (MAE's target)."""
    target = patchify(images, patch_size)
    target = (target - target.mean(-1, keepdim=True)) / (target.var(-1, keepdim=True) + 1e-6).sqrt()
    error = ((patchify(pred, patch_size) - target) ** 2).mean(-1)
    return (error * mask).sum() / mask.sum().clamp(min=1)
