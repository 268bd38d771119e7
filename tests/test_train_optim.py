"""The official weight-decay and layer-decay rules on real parameter names, and the warm-up + linear decay."""

from __future__ import annotations

import pytest
import torch

from sapiens2.models import build_task_model
from sapiens2.train.optim import build_optimizer, build_scheduler, decays_weight, layer_id, param_groups
from train_datasets import TINY_ARCH, TINY_POSE_HEAD

RATE = 0.8


@pytest.fixture(scope="module")
def groups_by_name() -> dict[str, dict]:
    model = build_task_model("pose", TINY_ARCH, head={"in_channels": 32, "out_channels": 5} | TINY_POSE_HEAD, img_size=(48, 32), use_tokenizer=False)
    groups = param_groups(model.named_parameters(), 2, lr=1.0, weight_decay=0.1, layer_decay=RATE)
    return {name: group for group in groups for name in group["names"]}


@pytest.mark.parametrize(
    ("name", "lr", "decay"),
    [
        # 2 blocks: embeddings are layer 0 (rate^3), block i is layer i + 1, final norm and head rate^0.
        ("backbone.cls_token", RATE**3, 0.1),  # 3-D token parameters DO decay
        ("backbone.storage_tokens", RATE**3, 0.1),
        ("backbone.patch_embed.projection.weight", RATE**3, 0.1),
        ("backbone.patch_embed.projection.bias", RATE**3, 0.0),
        ("backbone.blocks.0.attn.wq.weight", RATE**2, 0.1),
        ("backbone.blocks.0.attn.wq.bias", RATE**2, 0.0),
        ("backbone.blocks.0.attn.gamma.weight", RATE**2, 0.0),  # LayerScale vector
        ("backbone.blocks.1.ln1.weight", RATE**1, 0.0),  # 1-D: no decay
        ("backbone.blocks.1.ffn.w3.weight", RATE**1, 0.1),
        ("backbone.ln1.weight", 1.0, 0.0),
        ("decode_head.deconv_layers.0.weight", 1.0, 0.1),
        ("decode_head.conv_pose.bias", 1.0, 0.0),
    ],
)
def test_each_parameter_gets_the_official_lr_scale_and_decay(groups_by_name, name, lr, decay) -> None:
    assert groups_by_name[name]["lr"] == pytest.approx(lr)
    assert groups_by_name[name]["weight_decay"] == decay


def test_every_trainable_parameter_is_in_exactly_one_group(groups_by_name) -> None:
    model = build_task_model("pose", TINY_ARCH, head={"in_channels": 32, "out_channels": 5} | TINY_POSE_HEAD, img_size=(48, 32))
    assert set(groups_by_name) == {n for n, _ in model.named_parameters()}


def test_names_from_official_layouts_and_wrappers() -> None:
    assert layer_id("backbone.tokenizer.local_pos_embed", 24) == 0
    assert layer_id("backbone.mask_token", 24) == 0
    assert layer_id("backbone.layers.23.attn.proj.weight", 24) == 24
    assert layer_id("module.backbone.blocks.5.ffn.w12.weight", 24) == 6  # DDP wrapper
    assert layer_id("student.backbone.blocks.5.ffn.w12.weight", 24) == 6  # distillation wrapper
    assert layer_id("projections.0.weight", 24) == 25
    assert not decays_weight("backbone.tokenizer.local_pos_embed", torch.zeros(1, 16, 8))  # exempt by name
    assert decays_weight("backbone.tokenizer.w_cls", torch.zeros(1, 1, 8))


def test_warmup_then_linear_decay_to_zero() -> None:
    model = torch.nn.Linear(2, 2)
    optimizer = build_optimizer(torch.nn.Sequential(model), 0, lr=1.0, betas=(0.9, 0.999), weight_decay=0.1, layer_decay=1.0)
    scheduler = build_scheduler(optimizer, iters=10, warmup_iters=4, warmup_factor=1e-3)
    seen = []
    for _ in range(10):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    seen.append(optimizer.param_groups[0]["lr"])
    warmup = [1e-3 + (1 - 1e-3) * k / 4 for k in range(4)]
    decay = [1 - j / 6 for j in range(7)]
    assert seen == pytest.approx(warmup + decay)
