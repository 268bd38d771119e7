"""The three attention computations behind the ``attention=`` switch.

All take q (B, H, N, hd) and un-repeated k, v (B, G, N, hd) with H a multiple of G (grouped-query
attention: query head j reads key/value head j // (H // G)).

- ``sdpa``: the reference, ``F.scaled_dot_product_attention`` on repeated k/v (the official path).
- ``tiled``: exact; queries are processed in blocks of ``tile_size`` so that no score matrix is
  larger than tile_size x N. The query groups of a GQA layer are folded into the sequence axis, so
  k/v are never copied. The number of blocks depends only on shapes, so it exports.
- ``windowed``: approximate (changes the function); patch tokens attend only inside non-overlapping
  windows of the patch grid plus the prefix tokens, prefix tokens attend globally (ViTDet/SAM style).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

ATTENTION_KINDS = ("sdpa", "tiled", "windowed")


@dataclass(frozen=True)
class AttentionMode:
    """Which attention computation a block runs, with its parameters."""

    kind: str = "sdpa"
    tile_size: int = 512
    window_size: tuple[int, int] = (16, 16)

    def __post_init__(self) -> None:
        if self.kind not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {self.kind!r}")
        if self.tile_size < 1:
            raise ValueError(f"attention tile size must be positive, got {self.tile_size}")
        if len(self.window_size) != 2 or min(self.window_size) < 1:
            raise ValueError(f"attention window must be two positive sizes (rows, cols), got {self.window_size}")


def repeat_kv(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Expand (B, G, N, hd) key/value heads to (B, num_heads, N, hd) by repeat-interleave."""
    groups = x.shape[1]
    return x if groups == num_heads else x.repeat_interleave(num_heads // groups, dim=1)


def sdpa_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    heads = q.shape[1]
    return F.scaled_dot_product_attention(q, repeat_kv(k, heads), repeat_kv(v, heads))


def tiled_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, tile_size: int) -> torch.Tensor:
    batch, heads, tokens, head_dim = q.shape
    groups = k.shape[1]
    folded = q.reshape(batch, groups, -1, head_dim)
    blocks = [F.scaled_dot_product_attention(block, k, v) for block in folded.split(tile_size, dim=2)]
    return torch.cat(blocks, dim=2).reshape(batch, heads, tokens, head_dim)


def windowed_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    grid: tuple[int, int],
    num_prefix: int,
    window_size: tuple[int, int],
) -> torch.Tensor:
    batch, heads, tokens, head_dim = q.shape
    k, v = repeat_kv(k, heads), repeat_kv(v, heads)
    prefix_out = F.scaled_dot_product_attention(q[:, :, :num_prefix], k, v)

    rows, cols = grid
    win_h, win_w = min(window_size[0], rows), min(window_size[1], cols)
    pad_h, pad_w = (-rows) % win_h, (-cols) % win_w
    n_h, n_w = (rows + pad_h) // win_h, (cols + pad_w) // win_w

    def to_windows(x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, num_prefix:].reshape(batch, heads, rows, cols, head_dim)
        x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))
        x = x.reshape(batch, heads, n_h, win_h, n_w, win_w, head_dim).permute(0, 2, 4, 1, 3, 5, 6)
        return x.reshape(batch * n_h * n_w, heads, win_h * win_w, head_dim)

    def with_prefix(windows: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        prefix = x[:, :, :num_prefix].unsqueeze(1).expand(batch, n_h * n_w, heads, num_prefix, head_dim)
        return torch.cat((prefix.reshape(-1, heads, num_prefix, head_dim), windows), dim=2)

    mask = None
    if pad_h or pad_w:
        valid = torch.ones(rows, cols, dtype=torch.bool, device=q.device)
        valid = F.pad(valid, (0, pad_w, 0, pad_h), value=False)
        valid = valid.reshape(n_h, win_h, n_w, win_w).permute(0, 2, 1, 3).reshape(n_h * n_w, 1, 1, win_h * win_w)
        prefix_valid = torch.ones(n_h * n_w, 1, 1, num_prefix, dtype=torch.bool, device=q.device)
        mask = torch.cat((prefix_valid, valid), dim=-1).repeat(batch, 1, 1, 1)

    window_out = F.scaled_dot_product_attention(
        to_windows(q), with_prefix(to_windows(k), k), with_prefix(to_windows(v), v), attn_mask=mask
    )
    window_out = window_out.reshape(batch, n_h, n_w, heads, win_h, win_w, head_dim).permute(0, 3, 1, 4, 2, 5, 6)
    window_out = window_out.reshape(batch, heads, n_h * win_h, n_w * win_w, head_dim)[:, :, :rows, :cols]
    return torch.cat((prefix_out, window_out.reshape(batch, heads, rows * cols, head_dim)), dim=2)


def attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mode: AttentionMode,
    grid: tuple[int, int],
    num_prefix: int,
) -> torch.Tensor:
    """Run the attention computation ``mode`` names; returns (B, H, N, hd)."""
    if mode.kind == "tiled":
        return tiled_attention(q, k, v, mode.tile_size)
    if mode.kind == "windowed":
        return windowed_attention(q, k, v, grid, num_prefix, mode.window_size)
    return sdpa_attention(q, k, v)
