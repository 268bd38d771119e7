"""What training needs: gradient checkpointing, frozen stages, out_indices, tokenizer chunking, configs."""

from __future__ import annotations

import pytest
import torch

from sapiens2.models import build_backbone, build_task_model, resolve_arch

TINY = {"embed_dims": 64, "num_layers": 4, "num_heads": 4, "feedforward_channels": 128, "num_tokenizer_layers": 1}


def seeded_input(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0))


def test_gradient_checkpointing_gives_the_same_gradients() -> None:
    torch.manual_seed(0)
    model = build_backbone(TINY, out_type="featmap", layer_scale_init_value=1.0, use_tokenizer=True)
    x = seeded_input(1, 3, 128, 128)
    grads = []
    for enabled in (False, True):
        model.zero_grad()
        model.set_gradient_checkpointing(enabled)
        model.train()
        model(x)[0].square().mean().backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    for name, grad in grads[0].items():
        torch.testing.assert_close(grads[1][name], grad, rtol=1e-5, atol=1e-7, msg=name)


def test_frozen_stages_freeze_embeddings_and_first_blocks() -> None:
    model = build_backbone(TINY, frozen_stages=2, use_tokenizer=True).train()
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert "cls_token" in frozen and "storage_tokens" in frozen and "patch_embed.projection.weight" in frozen
    assert "tokenizer.w_cls" in frozen and "blocks.1.ffn.w3.weight" in frozen
    assert "blocks.2.ffn.w3.weight" not in frozen and "ln1.weight" not in frozen
    fully = build_backbone(TINY, frozen_stages=4)
    assert not fully.ln1.weight.requires_grad


def test_out_indices_return_unnormalised_intermediate_and_normalised_last() -> None:
    model = build_backbone(TINY, out_indices=[1, -1], out_type="featmap", layer_scale_init_value=1.0).eval()
    x = seeded_input(2, 3, 64, 48)
    with torch.no_grad():
        mid, last = model(x)
        raw_model = build_backbone(TINY, out_type="raw", layer_scale_init_value=1.0, final_norm=False)
        raw_model.load_state_dict({k: v for k, v in model.state_dict().items() if k != "ln1.weight"})
        raw = raw_model.eval()(x)[0]
    assert mid.shape == last.shape == (2, 64, 4, 3)
    # The final RMSNorm makes each token's RMS equal to 1 (unit weights); intermediate outputs are not normalised.
    token_rms = last.permute(0, 2, 3, 1).square().mean(-1).sqrt()
    torch.testing.assert_close(token_rms, torch.ones_like(token_rms), rtol=0, atol=1e-4)
    torch.testing.assert_close(last, model.ln1(raw)[:, 9:].reshape(2, 4, 3, 64).permute(0, 3, 1, 2))


def test_tokenizer_chunking_equals_one_batch() -> None:
    model = build_backbone(TINY, use_tokenizer=True, layer_scale_init_value=1.0).eval()
    x = seeded_input(2, 3, 256, 192)  # 16x12 patches -> 12 windows per image
    with torch.no_grad():
        batched = model(x)[0]
        model.tokenizer.chunk_size = 5
        chunked = model(x)[0]
    assert batched.shape == (2, 9 + 12, 64)
    torch.testing.assert_close(chunked, batched, rtol=0, atol=1e-6)


def test_tokenizer_rejects_a_grid_not_divisible_by_its_window() -> None:
    model = build_backbone(TINY, use_tokenizer=True).eval()
    with pytest.raises(ValueError, match="multiples of 64 pixels"):
        model(torch.zeros(1, 3, 96, 64))


def test_official_config_backbone_dict_builds_as_is() -> None:
    config = dict(
        type="Sapiens2",
        arch="sapiens2_0.4b",
        img_size=(1024, 768),
        patch_size=16,
        final_norm=True,
        use_tokenizer=False,
        with_cls_token=True,
        out_type="featmap",
        init_cfg=None,
    )
    with torch.device("meta"):
        backbone = build_backbone(**config)
        model = build_task_model("seg", **{k: v for k, v in config.items() if k != "arch"}, arch=config["arch"])
    assert backbone.embed_dims == 1024 and len(backbone.blocks) == 24
    assert model.decode_head.conv_seg.out_channels == 29


def test_arch_names_and_dicts_resolve_and_errors_name_the_choices() -> None:
    assert resolve_arch("SAPIENS2_1B").num_heads == 24
    assert resolve_arch(TINY).head_dim == 16
    with pytest.raises(ValueError, match="known archs: sapiens2_0.1b"):
        resolve_arch("sapiens2_2b")
    with pytest.raises(ValueError, match="missing"):
        resolve_arch({"embed_dims": 64})


def test_gqa_placement_follows_the_official_rule() -> None:
    spec = resolve_arch("sapiens2_1b")
    kv = [spec.kv_heads(i) for i in range(spec.num_layers)]
    assert kv[:8] == [24] * 8 and kv[8:32] == [12] * 24 and kv[32:] == [24] * 8
    small = resolve_arch("sapiens2_0.1b")
    assert all(small.kv_heads(i) == 12 for i in range(12))
