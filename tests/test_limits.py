"""Size limits: the memory lower bounds match a hand count, and refusals come with the figures."""

from __future__ import annotations

import pytest
from sapiens2.checkpoints import load_model
from sapiens2.errors import UserError
from sapiens2.limits import check_image_memory, check_image_size, check_inference_memory, inference_bytes

from fixture_paths import case_checkpoint, case_json


def test_inference_bytes_counts_input_block_and_head_map() -> None:
    model = load_model(case_checkpoint("task_pose"))
    arch, head = case_json("task_pose")["arch"], case_json("task_pose")["head_config"]
    tokens = (256 // 16) * (192 // 16)
    block = tokens * (4 * arch["embed_dims"] + 3 * arch["feedforward_channels"])
    head_map = tokens * 4 ** len(head["deconv_out_channels"]) * head["out_channels"]  # 308 is the widest map
    assert inference_bytes(model, (256, 192), batch_size=2) == 2 * 4 * (3 * 256 * 192 + block + head_map)
    with pytest.raises(UserError, match=r"needs at least 0\.0 GB and 0\.0 GB is left"):
        check_inference_memory(model, (256, 192), 2, available=1000)
    check_inference_memory(model, (256, 192), 2, available=10**9)


def test_image_limits() -> None:
    check_image_size((16, 16, 3))
    with pytest.raises(UserError, match="is 15x40 pixels"):
        check_image_size((40, 15, 3))
    check_image_memory((4000, 3000, 3), "pose", available=1)  # pose keeps no full-size float maps
    with pytest.raises(UserError, match="seg post-processing of the 3000x4000 image .* needs at least 2.8 GB"):
        check_image_memory((4000, 3000, 3), "seg", available=10**9)
