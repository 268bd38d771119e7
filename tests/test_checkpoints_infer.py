"""Inference from key names and shapes: every official checkpoint and every fixture is recognised exactly."""

from __future__ import annotations

import re

import pytest
import torch
from safetensors.torch import load_file

from sapiens2.checkpoints import CheckpointError, infer_layout, load_state_dict
from sapiens2.checkpoints.infer import infer_img_size
from sapiens2.models import ArchSpec, build_backbone, build_task_model, head_preset

from fixture_paths import BACKBONE_CASES, TASK_CASES, case_checkpoint, case_json, official_shapes

OFFICIAL_NAMES = list(official_shapes())
TASK_WORDS = {"keypoints308": "pose", "seg": "seg", "normal": "normal", "pointmap": "pointmap", "albedo": "albedo"}


def meta_state_dict(name: str) -> dict[str, torch.Tensor]:
    return {k: torch.empty(s, device="meta") for k, s in official_shapes()[name].items() if k != "__params__"}


def expected_identity(name: str) -> tuple[str, bool, str | None]:
    """(arch name, 4K tokenizer, task) as the checkpoint_shapes entry's name says."""
    if name.startswith("pretrain/"):
        arch = name.removeprefix("pretrain/")
        return arch.removesuffix("_4k"), arch.endswith("_4k"), None
    arch, word = re.match(r"task/(sapiens2_[\d.]+b)_([a-z0-9]+)_", name).groups()
    return arch, False, TASK_WORDS[word]


@pytest.mark.parametrize("name", OFFICIAL_NAMES)
def test_every_official_checkpoint_rebuilds_exactly(name):
    layout = infer_layout(meta_state_dict(name))
    arch_name, tokenizer, task = expected_identity(name)
    assert (layout.arch_name, layout.use_tokenizer, layout.task) == (arch_name, tokenizer, task)
    assert layout.kind == ("task" if task else "backbone")
    assert layout.num_params == official_shapes()[name]["__params__"]
    with torch.device("meta"):
        if task:
            model = build_task_model(task, layout.arch, head=layout.head, **layout.backbone_kwargs())
        else:
            model = build_backbone(layout.arch, **layout.backbone_kwargs())
    built = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert built == {k: v for k, v in official_shapes()[name].items() if k != "__params__"}


@pytest.mark.parametrize("name", [n for n in OFFICIAL_NAMES if n.startswith("task/")])
def test_official_heads_match_the_official_presets(name):
    layout = infer_layout(meta_state_dict(name))
    assert layout.head == head_preset(layout.task, layout.arch_name, layout.arch.embed_dims)
    if layout.task == "pointmap":  # Linear(6144) <-> 1024x768
        assert layout.head["scale_final_layer"][0] == 6144
        assert layout.img_size == (1024, 768)


def test_documented_head_numbers():
    pose_1b = infer_layout(meta_state_dict("task/sapiens2_1b_keypoints308_shutterstock_goliath_3po-1024x768")).head
    assert pose_1b["deconv_out_channels"] == (1536, 1024)
    assert pose_1b["conv_out_channels"] == (768, 512, 256)
    assert pose_1b["out_channels"] == 308
    pointmap_5b = infer_layout(meta_state_dict("task/sapiens2_5b_pointmap_render_people-1024x768")).head
    assert pointmap_5b["upsample_channels"] == (1536, 768, 768, 768)
    assert pointmap_5b["conv_out_channels"] == (128, 64, 32)
    assert pointmap_5b["scale_final_layer"] == (6144, 512, 128, 1)
    assert infer_layout(meta_state_dict("task/sapiens2_0.4b_seg_shutterstock_goliath-1024x768")).head["num_classes"] == 29


def test_documented_parameter_counts():
    counts = {name: infer_layout(meta_state_dict(f"pretrain/{name}")).num_params for name in ("sapiens2_0.1b", "sapiens2_1b_4k")}
    assert counts == {"sapiens2_0.1b": 113_993_472, "sapiens2_1b_4k": 1_606_588_928}


@pytest.mark.parametrize("case", BACKBONE_CASES + TASK_CASES)
def test_fixture_cases(case):
    spec = case_json(case)
    layout = infer_layout(load_file(case_checkpoint(case)))
    assert layout.arch == ArchSpec(**spec["arch"])
    assert layout.arch_name is None
    assert layout.rope_dtype == spec["rope_dtype"]
    assert layout.patch_size == spec["patch_size"]
    assert layout.use_tokenizer == spec.get("use_tokenizer", False)
    if layout.use_tokenizer:
        assert layout.window_size == spec["window_size"]
    if spec["kind"] == "task":
        assert layout.task == spec["task"]
        assert layout.head == {k: tuple(v) if isinstance(v, list) else v for k, v in spec["head_config"].items()}


@pytest.mark.parametrize("case", ["backbone_4k_rope_bf16", "task_pointmap"])
def test_meta_and_loaded_tensors_agree(case):
    path = case_checkpoint(case)
    assert infer_layout(load_state_dict(path, meta=True)) == infer_layout(load_state_dict(path))


def test_rope_dtype_and_dtype_counts():
    bf16 = infer_layout(load_file(case_checkpoint("backbone_rope_bf16")))
    fp32 = infer_layout(load_file(case_checkpoint("backbone_rope_fp32")))
    assert (bf16.rope_dtype, fp32.rope_dtype) == ("bf16", "fp32")
    assert bf16.dtypes == {"float32": bf16.num_keys - 1, "bfloat16": 1}
    assert fp32.dtypes == {"float32": fp32.num_keys}


def test_parameter_count_leaves_out_the_rope_buffer():
    state_dict = load_file(case_checkpoint("backbone_rope_fp32"))
    model = build_backbone(ArchSpec(**case_json("backbone_rope_fp32")["arch"]))
    assert infer_layout(state_dict).num_params == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("width", "token_stride", "img_size"),
    [
        (6144, 16, (1024, 768)),  # official: 64x48 grid -> 8x6 after three stride-2 convs, x128 channels
        (108 * 128, 16, (1536, 1152)),  # 96x72 grid -> 12x9
        (6144, 64, (4096, 3072)),  # 4K tokenizer: one token per 4x4 patches
        (96 * 128, 16, (1024, 768)),  # 12x8 cells is 3:2, not 4:3 -> default
    ],
)
def test_img_size_from_the_scale_mlp(width, token_stride, img_size):
    head = {"scale_conv_out_channels": (1536, 512, 128), "scale_final_layer": (width, 512, 128, 1)}
    assert infer_img_size(head, token_stride) == img_size


def test_img_size_of_the_3_to_2_pointmap_fixture_is_the_default():
    # The fixture's 384x256 input (3:2) is not inferable from 6 cells: the default applies.
    assert infer_layout(load_file(case_checkpoint("task_pointmap"))).img_size == (1024, 768)


def backbone_fixture() -> dict[str, torch.Tensor]:
    return load_state_dict(case_checkpoint("backbone_rope_bf16"), meta=True)


def test_kv_heads_against_the_official_rule():
    state_dict = backbone_fixture()
    state_dict["blocks.8.attn.wk.weight"] = torch.empty(64, 64, device="meta")  # 4 kv heads; rule: 4 // 2
    with pytest.raises(CheckpointError, match=r"^block 8 has 4 key/value heads where the official rule gives 2 \(all 4 heads in the first 8 and last 8 blocks, half between\)"):
        infer_layout(state_dict)


def test_random_keys_are_no_sapiens2_layout():
    state_dict = {"encoder.weight": torch.empty(3, 3), "fc.bias": torch.empty(3)}
    with pytest.raises(CheckpointError, match=r"^not a Sapiens2 checkpoint: none of its keys look like a Sapiens2 encoder \(no 'patch_embed\.projection\.weight'\); its 2 keys start with: encoder\.weight, fc\.bias\. Give a Sapiens2"):
        infer_layout(state_dict)


def test_sapiens_v1_is_named():
    state_dict = {"patch_embed.projection.weight": torch.empty(1024, 3, 16, 16), "layers.0.attn.qkv.weight": torch.empty(3072, 1024)}
    with pytest.raises(CheckpointError, match=r"it looks like a Sapiens \(v1\) model"):
        infer_layout(state_dict)


def test_head_without_backbone():
    head_only = {k: v for k, v in load_state_dict(case_checkpoint("task_pose"), meta=True).items() if k.startswith("decode_head.")}
    with pytest.raises(CheckpointError, match=r"its decode_head comes without the backbone keys \('backbone\.patch_embed\.projection\.weight' \.\.\.\)"):
        infer_layout(head_only)


def test_unknown_head():
    state_dict = load_state_dict(case_checkpoint("task_pose"), meta=True)
    state_dict["decode_head.conv_depth.weight"] = state_dict.pop("decode_head.conv_pose.weight")
    with pytest.raises(CheckpointError, match=r"its decode_head has no output conv \(conv_pose, conv_seg, conv_normal, conv_pointmap, conv_albedo\)"):
        infer_layout(state_dict)


def test_head_and_backbone_widths_disagree():
    state_dict = load_state_dict(case_checkpoint("task_normal"), meta=True)
    state_dict["decode_head.input_conv.0.weight"] = torch.empty(64, 128, 3, 3, device="meta")
    with pytest.raises(CheckpointError, match=r"its decode_head takes 128 channels but its backbone gives 64"):
        infer_layout(state_dict)
