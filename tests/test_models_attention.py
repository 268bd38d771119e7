"""Attention modes: tiled is exact and exports; windowed changes the function only beyond one window."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from sapiens2.models import AttentionMode, build_backbone
from sapiens2.models.layers.attention_modes import sdpa_attention, tiled_attention, windowed_attention

TINY = {"embed_dims": 64, "num_layers": 18, "num_heads": 4, "feedforward_channels": 128, "num_tokenizer_layers": 1}


def grouped_qkv(heads: int = 4, groups: int = 2, tokens: int = 57, dim: int = 16) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    q = torch.randn(2, heads, tokens, dim, generator=generator)
    k = torch.randn(2, groups, tokens, dim, generator=generator)
    v = torch.randn(2, groups, tokens, dim, generator=generator)
    return q, k, v


@pytest.mark.parametrize("tile", [1, 5, 24, 57, 1000])
def test_tiled_equals_full_softmax_attention_with_gqa(tile: int) -> None:
    q, k, v = grouped_qkv()
    # Reference written out by hand: head j reads kv head j // 2, softmax(q k^T / sqrt(d)) v.
    k_full, v_full = k.repeat_interleave(2, dim=1), v.repeat_interleave(2, dim=1)
    reference = torch.softmax(q @ k_full.transpose(-1, -2) / 4.0, dim=-1) @ v_full
    torch.testing.assert_close(tiled_attention(q, k, v, tile), reference, rtol=0, atol=2e-6)
    torch.testing.assert_close(sdpa_attention(q, k, v), reference, rtol=0, atol=2e-6)


def test_windowed_with_one_window_equals_global_attention() -> None:
    q, k, v = grouped_qkv(tokens=9 + 6 * 8)
    out = windowed_attention(q, k, v, grid=(6, 8), num_prefix=9, window_size=(6, 8))
    torch.testing.assert_close(out, sdpa_attention(q, k, v), rtol=0, atol=2e-6)


def test_windowed_patch_tokens_see_only_their_window_and_the_prefix() -> None:
    q, k, v = grouped_qkv(heads=2, groups=2, tokens=9 + 6 * 8)
    out = windowed_attention(q, k, v, grid=(6, 8), num_prefix=9, window_size=(4, 4))
    # Patch (row 0, col 0) lives in the top-left window: rows 0-3, cols 0-3 of the grid.
    window_tokens = [9 + r * 8 + c for r in range(4) for c in range(4)]
    visible = list(range(9)) + window_tokens
    expected = F.scaled_dot_product_attention(q[:, :, 9:10], k[:, :, visible], v[:, :, visible])
    torch.testing.assert_close(out[:, :, 9:10], expected, rtol=0, atol=2e-6)
    # A window cut by the grid edge (rows 4-5 padded to 8) must ignore the padding.
    bottom_right = [9 + r * 8 + c for r in range(4, 6) for c in range(4, 8)]
    visible = list(range(9)) + bottom_right
    expected = F.scaled_dot_product_attention(q[:, :, -1:], k[:, :, visible], v[:, :, visible])
    torch.testing.assert_close(out[:, :, -1:], expected, rtol=0, atol=2e-6)
    # Prefix tokens attend to everything.
    torch.testing.assert_close(out[:, :, :9], F.scaled_dot_product_attention(q[:, :, :9], k, v), rtol=0, atol=2e-6)


def test_windowed_backbone_keeps_global_layers_and_changes_the_function() -> None:
    # LayerScale 1 so that attention visibly contributes (the default 1e-4 is nearly an identity).
    model = build_backbone(TINY, pos_embed_rope_dtype="fp32", layer_scale_init_value=1.0).eval()
    x = torch.randn(1, 3, 128, 128)
    with torch.no_grad():
        reference = model(x)[0]
        model.set_attention("windowed", window=4, global_layers=[5, 17])
        modes = [block.attn.mode.kind for block in model.blocks]
        windowed = model(x)[0]
    assert modes[5] == modes[17] == "sdpa" and modes.count("windowed") == 16
    assert (windowed - reference).abs().max() > 1e-4


def test_tiled_backbone_exports_without_graph_breaks() -> None:
    model = build_backbone(TINY, pos_embed_rope_dtype="fp32", attention="tiled", attention_tile_size=20).eval()
    x = torch.randn(1, 3, 128, 96)
    program = torch.export.export(model, (x,), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(program.module()(x)[0], model(x)[0], rtol=0, atol=1e-5)
    sdpa_calls = [n for n in program.graph.nodes if "scaled_dot_product" in str(n.target)]
    # 57 tokens in tiles of 20 -> 3 tiles per layer, 18 layers; GQA layers fold 2 groups -> 6 tiles.
    assert len(sdpa_calls) == 16 * 3 + 2 * 6


def test_attention_mode_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match="attention must be one of"):
        AttentionMode("flash")
