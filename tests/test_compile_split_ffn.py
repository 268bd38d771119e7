"""The split form of the SwiGLU feed-forward computes the same function and is swapped in only for the export."""

from __future__ import annotations

import torch
from sapiens2.compile.split_ffn import SplitSwiGLUFFN, split_ffn_projections
from sapiens2.models import build_task_model
from sapiens2.models.layers.ffn import SwiGLUFFN

TINY = {"embed_dims": 32, "num_layers": 2, "num_heads": 2, "feedforward_channels": 48, "num_tokenizer_layers": 0}


def test_split_form_equals_the_fused_projection() -> None:
    torch.manual_seed(0)
    ffn = SwiGLUFFN(16, 24)
    x = torch.randn(2, 5, 16)
    with torch.no_grad():
        expected, got = ffn(x), SplitSwiGLUFFN(ffn)(x)
    torch.testing.assert_close(got, expected, rtol=1e-6, atol=1e-6)
    # The halves come from the fused layer's own rows: gate first, value second.
    split = SplitSwiGLUFFN(ffn).w12
    torch.testing.assert_close(torch.cat([split.gate_weight, split.value_weight]), ffn.w12.weight)
    torch.testing.assert_close(torch.cat([split.gate_bias, split.value_bias]), ffn.w12.bias)


def test_swapped_only_inside_the_context_with_the_same_names() -> None:
    torch.manual_seed(0)
    model = build_task_model("pose", TINY).eval()
    x = torch.randn(1, 3, 64, 48)
    names = {name for name, _ in model.named_modules()}
    with torch.no_grad():
        expected = model(x)
        with split_ffn_projections(model):
            kinds = {type(module) for module in model.modules()}
            inside_names = {name for name, _ in model.named_modules()}
            got = model(x)
    assert SplitSwiGLUFFN in kinds and SwiGLUFFN not in kinds
    assert {name for name in names if name.endswith((".ffn.w12", ".ffn.w3"))} <= inside_names  # scopes still match
    assert all(type(module) is not SplitSwiGLUFFN for module in model.modules())
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_the_halves_share_the_fused_weight() -> None:
    ffn = SwiGLUFFN(16, 24)
    split = SplitSwiGLUFFN(ffn).w12
    assert split.gate_weight.is_contiguous() and split.value_weight.is_contiguous()
    assert split.gate_weight.data_ptr() == ffn.w12.weight.data_ptr()  # views: the export holds one copy
