"""Multi-head / grouped-query self-attention with qk-norm, RoPE and LayerScale (keys ``attn.*``)."""

from __future__ import annotations

import torch
from torch import nn

from .attention_modes import AttentionMode, attend
from .layer_scale import LayerScale
from .rope import apply_rope

RMS_EPS = 1e-6


class GroupedQueryAttention(nn.Module):
    """Separate q/k/v projections; ``num_kv_heads < num_heads`` gives grouped-query attention.

    qk-norm is applied per head before RoPE; RoPE is applied to the un-repeated keys (it acts per
    position, so this equals the official rotate-after-repeat element for element).
    """

    def __init__(
        self,
        embed_dims: int,
        num_heads: int,
        num_kv_heads: int | None = None,
        qkv_bias: bool = True,
        use_qk_norm: bool = True,
        layer_scale_init_value: float = 0.0,
        mode: AttentionMode | None = None,
    ) -> None:
        super().__init__()
        num_kv_heads = num_kv_heads or num_heads
        if num_heads % num_kv_heads:
            raise ValueError(f"num_heads {num_heads} must be a multiple of num_kv_heads {num_kv_heads}")
        self.num_heads = num_heads
        self.num_kv_heads = num_kv_heads
        self.head_dim = embed_dims // num_heads
        kv_dims = num_kv_heads * self.head_dim
        self.wq = nn.Linear(embed_dims, embed_dims, bias=qkv_bias)
        self.wk = nn.Linear(embed_dims, kv_dims, bias=qkv_bias)
        self.wv = nn.Linear(embed_dims, kv_dims, bias=qkv_bias)
        if use_qk_norm:
            self.q_norm = nn.RMSNorm(self.head_dim, eps=RMS_EPS)
            self.k_norm = nn.RMSNorm(self.head_dim, eps=RMS_EPS)
        else:
            self.q_norm = self.k_norm = nn.Identity()
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.gamma = LayerScale(embed_dims, layer_scale_init_value) if layer_scale_init_value > 0 else nn.Identity()
        self.mode = mode or AttentionMode()

    def _heads(self, x: torch.Tensor, heads: int) -> torch.Tensor:
        batch, tokens, _ = x.shape
        return x.reshape(batch, tokens, heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(
        self,
        x: torch.Tensor,
        rope: tuple[torch.Tensor, torch.Tensor] | None = None,
        grid: tuple[int, int] = (0, 0),
        num_prefix: int = 0,
    ) -> torch.Tensor:
        batch, tokens, dims = x.shape
        q = self.q_norm(self._heads(self.wq(x), self.num_heads))
        k = self.k_norm(self._heads(self.wk(x), self.num_kv_heads))
        v = self._heads(self.wv(x), self.num_kv_heads)
        if rope is not None:
            sin, cos = rope
            q = apply_rope(q, sin, cos, num_prefix)
            k = apply_rope(k, sin, cos, num_prefix)
        out = attend(q, k, v, self.mode, grid, num_prefix)
        out = out.transpose(1, 2).reshape(batch, tokens, dims)
        return self.gamma(self.proj(out))
