"""Every official checkpoint's keys and shapes, built on the meta device with default arguments."""

from __future__ import annotations


import pytest
import torch

from sapiens2.models import build_backbone, build_task_model

from fixture_paths import official_shapes

SHAPES = official_shapes()
# Official config names -> our task names.
TASK_OF_CONFIG = {"keypoints308": "pose", "seg": "seg", "normal": "normal", "pointmap": "pointmap", "albedo": "albedo"}


def build_on_meta(entry: str) -> torch.nn.Module:
    kind, name = entry.split("/")
    with torch.device("meta"):
        if kind == "pretrain":
            return build_backbone(name.removesuffix("_4k"), use_tokenizer=name.endswith("_4k"))
        size, config = name.split("_")[1], name.split("_")[2]
        return build_task_model(TASK_OF_CONFIG[config], f"sapiens2_{size}")


@pytest.mark.parametrize("entry", sorted(SHAPES))
def test_default_model_has_the_official_keys_shapes_and_parameter_count(entry: str) -> None:
    model = build_on_meta(entry)
    expected = {k: v for k, v in SHAPES[entry].items() if k != "__params__"}
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert sorted(set(ours) ^ set(expected)) == []
    assert {k: v for k, v in ours.items() if expected[k] != v} == {}
    assert sum(p.numel() for p in model.parameters()) == SHAPES[entry]["__params__"]
