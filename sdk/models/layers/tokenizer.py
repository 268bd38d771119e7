"""The 4K windowed tokenizer: each window of window_size^2 patches becomes one token (keys ``tokenizer.*``).

Inference runs every window in one batched computation (no loop with in-place writes, so it
exports with any input size); ``chunk_size`` optionally splits the windows into chunks, joined with
``torch.cat``, to bound peak memory.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .block import EncoderBlock


class WindowTokenizer(nn.Module):
    """Windows -> [w_cls, patches] + local_pos_embed -> blocks -> the w_cls output token per window."""

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        feedforward_channels: int,
        num_layers: int,
        window_size: int = 4,
        qkv_bias: bool = True,
        chunk_size: int | None = None,
    ) -> None:
        super().__init__()
        self.window_size = window_size
        self.chunk_size = chunk_size
        self.gradient_checkpointing = False
        self.local_pos_embed = nn.Parameter(torch.zeros(1, 1 + window_size**2, embed_dims))
        self.w_cls = nn.Parameter(torch.zeros(1, 1, embed_dims))
        self.blocks = nn.ModuleList(
            EncoderBlock(embed_dims, num_heads, feedforward_channels, qkv_bias=qkv_bias, use_qk_norm=False)
            for _ in range(num_layers)
        )

    def _windows(self, tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
        batch, _, dims = tokens.shape
        rows, cols = grid
        ws = self.window_size
        if rows % ws or cols % ws:
            raise ValueError(
                f"the 4K tokenizer needs a patch grid divisible by its window {ws}; got {rows}x{cols} patches "
                f"(use an input whose sides are multiples of {16 * ws} pixels)"
            )
        x = tokens.reshape(batch, rows // ws, ws, cols // ws, ws, dims).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(-1, ws * ws, dims)

    def _encode(self, windows: torch.Tensor) -> torch.Tensor:
        x = torch.cat((self.w_cls.expand(windows.shape[0], -1, -1), windows), dim=1) + self.local_pos_embed
        for block in self.blocks:
            x = block(x)
        return x[:, 0]

    def forward(self, tokens: torch.Tensor, grid: tuple[int, int]) -> tuple[torch.Tensor, tuple[int, int]]:
        batch = tokens.shape[0]
        windows = self._windows(tokens, grid)
        if self.chunk_size is None:
            chunks = [windows]
        else:
            chunks = list(windows.split(self.chunk_size, dim=0))
        if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
            encoded = [checkpoint(self._encode, chunk, use_reentrant=False) for chunk in chunks]
        else:
            encoded = [self._encode(chunk) for chunk in chunks]
        out = torch.cat(encoded, dim=0) if len(encoded) > 1 else encoded[0]
        new_grid = (grid[0] // self.window_size, grid[1] // self.window_size)
        return out.reshape(batch, new_grid[0] * new_grid[1], -1), new_grid
