"""Pre-norm transformer block: ``x + attn(ln1(x))`` then ``x + ffn(ln2(x))`` (keys ``blocks.i.*``)."""

from __future__ import annotations

import torch
from torch import nn

from .attention import RMS_EPS, GroupedQueryAttention
from .attention_modes import AttentionMode
from .ffn import SwiGLUFFN


class EncoderBlock(nn.Module):
    """One encoder (or tokenizer) block; LayerScale sits on the attention branch only."""

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        feedforward_channels: int,
        num_kv_heads: int | None = None,
        qkv_bias: bool = True,
        use_qk_norm: bool = True,
        layer_scale_init_value: float = 0.0,
        mode: AttentionMode | None = None,
    ) -> None:
        super().__init__()
        self.ln1 = nn.RMSNorm(embed_dims, eps=RMS_EPS)
        self.attn = GroupedQueryAttention(
            embed_dims, num_heads, num_kv_heads, qkv_bias, use_qk_norm, layer_scale_init_value, mode
        )
        self.ln2 = nn.RMSNorm(embed_dims, eps=RMS_EPS)
        self.ffn = SwiGLUFFN(embed_dims, feedforward_channels)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
        grid: tuple[int, int] = (0, 0),
        num_prefix: int = 0,
    ) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), rope, grid, num_prefix)
        return x + self.ffn(self.ln2(x))
