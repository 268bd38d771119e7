"""Random patch masking: masked patch tokens are replaced by a learned mask token before the blocks.

The backbone stays unchanged: a forward hook on ``patch_embed`` swaps the tokens, so the backbone's
state dict (and its strict checkpoint) has no extra key; the mask token lives in the pretraining model.
"""

from __future__ import annotations

import torch
from torch import nn


def random_patch_mask(batch: int, tokens: int, ratio: float, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """(batch, tokens) bool, exactly round(ratio * tokens) True per row, positions uniformly random."""
    count = round(ratio * tokens)
    order = torch.rand(batch, tokens, generator=generator).argsort(dim=1)
    return (order < count).to(device)


class PatchMasker:
    """Set ``mask`` (B, N) before a backbone forward; the hook replaces those patch tokens by ``mask_token``."""

    def __init__(self, patch_embed: nn.Module, mask_token: nn.Parameter) -> None:
        self.mask_token = mask_token
        self.mask: torch.Tensor | None = None
        patch_embed.register_forward_hook(self._swap)

    def _swap(self, module: nn.Module, args: tuple, output: tuple[torch.Tensor, tuple[int, int]]):
        if self.mask is None:
            return output
        tokens, grid = output
        tokens = torch.where(self.mask[..., None], self.mask_token.to(tokens.dtype), tokens)
        return tokens, grid
