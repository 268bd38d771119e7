"""Where the official fixtures and the sample data live, and tiny stand-ins for the multi-GB official checkpoints.

Both are copies kept in the repository (tests/fixtures/official, tests/data; see tests/fixtures/README.md),
so a plain clone runs its suite. ``SAPIENS2_TEST_ROOT`` points the tests at another folder laid out the same
way (``fixtures/official``, ``data``).
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("SAPIENS2_TEST_ROOT", TESTS))
OFFICIAL = ROOT / "fixtures" / "official"
DATA = ROOT / "data"
IMAGES = DATA / "images"
# The workspace's master copy, compared with ours by test_fixture_copies.py where it exists.
WORKSPACE_SHARED = TESTS.parents[1] / "shared"
CHECKPOINT_SHAPES = OFFICIAL / "checkpoint_shapes.json"
BACKBONE_CASES = ("backbone_rope_bf16", "backbone_rope_fp32", "backbone_4k_rope_bf16", "backbone_4k_rope_fp32")
TASK_CASES = ("task_pose", "task_seg", "task_normal", "task_pointmap", "task_albedo")


def case_checkpoint(case: str) -> Path:
    return OFFICIAL / case / "model.safetensors"


def case_json(case: str) -> dict:
    return json.loads((OFFICIAL / case / "case.json").read_text())


@cache
def official_shapes() -> dict[str, dict[str, list[int]]]:
    """Every official checkpoint's key -> shape (plus ``__params__``), from checkpoint_shapes.json."""
    return json.loads(CHECKPOINT_SHAPES.read_text())


def official_stand_in(name: str) -> dict[str, torch.Tensor]:
    """An official checkpoint's exact keys and shapes as stride-0 zeros: a few bytes when saved with torch.

    Float32 parameters and a bfloat16 ``rope_embed.periods``, as the official code stores them.
    """
    shapes = {k: v for k, v in official_shapes()[name].items() if k != "__params__"}
    return {
        key: torch.zeros((), dtype=torch.bfloat16 if key.endswith("rope_embed.periods") else torch.float32).expand(shape)
        for key, shape in shapes.items()
    }


def fixture_layers(case: str, layers: int, path: Path) -> Path:
    """The official ``case`` checkpoint cut to its first ``layers`` blocks (its head and trained-like scales
    kept), saved at ``path``: the fixture's numerics in a graph small enough to lower in seconds."""
    from safetensors.torch import load_file, save_file

    def block(key: str) -> int:
        return int(key.split(".")[2]) if key.startswith("backbone.blocks.") else -1

    save_file({k: v for k, v in load_file(case_checkpoint(case)).items() if block(k) < layers}, path)
    return path
