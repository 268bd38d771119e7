"""Pretraining in miniature: held-out reconstruction falls, the EMA teacher moves, the backbone loads strictly."""

from __future__ import annotations

import pytest
import torch
import yaml
from safetensors.torch import load_file

from sapiens2.cli.main import main
from sapiens2.models import build_backbone
from sapiens2.train.config import load_config
from sapiens2.train.pretrain.dino import dino_loss
from sapiens2.train.pretrain.masking import random_patch_mask
from sapiens2.train.pretrain.pixel_decoder import patchify
from sapiens2.train.trainer import Trainer
from train_datasets import TINY_ARCH, write_coco_dataset


def test_patchify_orders_patches_like_tokens() -> None:
    images = torch.arange(2 * 3 * 4 * 6, dtype=torch.float32).view(2, 3, 4, 6)
    patches = patchify(images, 2)
    assert patches.shape == (2, 6, 12)
    # Token 4 is row 1, column 1: pixels (2..3, 2..3) of each channel, channel-major.
    assert patches[0, 4, :4].tolist() == [images[0, 0, 2, 2].item(), images[0, 0, 2, 3].item(), images[0, 0, 3, 2].item(), images[0, 0, 3, 3].item()]


def test_masks_hide_exactly_the_ratio() -> None:
    mask = random_patch_mask(3, 10, 0.5, torch.Generator().manual_seed(0))
    assert mask.sum(1).tolist() == [5, 5, 5]


def test_dino_loss_by_hand() -> None:
    # Teacher sure of prototype 0 (temperature sharpening), student uniform over 2 prototypes: -log(1/2) per pair.
    teacher = [torch.tensor([[10.0, 0.0]]), torch.tensor([[10.0, 0.0]])]
    student = [torch.zeros(1, 2)] * 3
    assert dino_loss(student, teacher, torch.zeros(1, 2)).item() == pytest.approx(torch.log(torch.tensor(2.0)).item(), rel=1e-6)


def test_pretraining_learns_and_writes_a_strict_backbone(tmp_path) -> None:
    train = write_coco_dataset(tmp_path / "train", count=8, seed=1).parent / "images"
    held_out = write_coco_dataset(tmp_path / "held_out", count=4, seed=2).parent / "images"
    config = {
        "model": {"arch": TINY_ARCH, "img_size": [64, 48], "pos_embed_rope_dtype": "fp32"},
        "data": {"train": str(train), "val": str(held_out), "batch_size": 4, "format": "images"},
        "optim": {"lr": 2e-3, "layer_decay": 1.0, "weight_decay": 0.05},
        "schedule": {"iters": 30, "warmup_iters": 2},
        "pretrain": {"local_crops": 2, "teacher_momentum": 0.9},
        "run": {"out_dir": str(tmp_path / "run"), "log_every": 5, "val_every": 1000, "save_every": 1000, "threads": 1},
    }
    (tmp_path / "pretrain.yaml").write_text(yaml.safe_dump(config))
    trainer = Trainer(load_config(tmp_path / "pretrain.yaml", mode="pretrain"))
    before = trainer.validate()
    teacher_start = [p.clone() for p in trainer.student.teacher_backbone.parameters()]
    result = trainer.fit()
    assert result.metric < 0.8 * before, (before, result.metric)
    moved = max(float((p - q).abs().max()) for p, q in zip(trainer.student.teacher_backbone.parameters(), teacher_start))
    assert moved > 1e-4

    weights = load_file(result.model_file)
    backbone = build_backbone(TINY_ARCH, img_size=(64, 48), pos_embed_rope_dtype="fp32")
    backbone.load_state_dict(weights, strict=True)
    assert main(["inspect", str(result.model_file)]) == 0
