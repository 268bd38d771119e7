"""load_model: the loaded model computes the official outputs; every mismatch with the request is explained."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file, save_file

from sapiens2.checkpoints import CheckpointError, inspect_checkpoint, load_model, load_state_dict
from sapiens2.models import Sapiens2Backbone, Sapiens2TaskModel

from fixture_paths import BACKBONE_CASES, OFFICIAL, TASK_CASES, case_checkpoint, case_json, official_stand_in

# Relative max error bounds of the parity suite: bf16 RoPE 1e-3, fp32 RoPE 1e-4.
TOLERANCE = {"bf16": 1e-3, "fp32": 1e-4}
POSE = case_checkpoint("task_pose")
BACKBONE = case_checkpoint("backbone_rope_bf16")


def relative_max_error(ours: torch.Tensor, reference: torch.Tensor) -> float:
    return ((ours - reference).abs().max() / reference.abs().max()).item()


@pytest.mark.parametrize("case", BACKBONE_CASES + TASK_CASES)
def test_every_fixture_loads_with_its_stored_tensors(case):
    """Nothing but the checkpoint is given: arch, tokenizer, head and RoPE dtype all come from inference."""
    model = load_model(case_checkpoint(case))
    assert not model.training
    stored = load_file(case_checkpoint(case))
    loaded = model.state_dict()
    assert set(loaded) == set(stored)
    assert all(torch.equal(loaded[k], stored[k]) and loaded[k].dtype == stored[k].dtype for k in stored)
    rope = model.rope_embed if isinstance(model, Sapiens2Backbone) else model.backbone.rope_embed
    assert rope.dtype == (torch.bfloat16 if case_json(case)["rope_dtype"] == "bf16" else torch.float32)


# fp32 RoPE, the 4K tokenizer, and the two-output pointmap head: the cases where inference has most to get right.
@pytest.mark.parametrize("case", ["backbone_rope_fp32", "backbone_4k_rope_bf16", "task_pointmap"])
def test_loaded_model_reproduces_the_official_outputs(case):
    model = load_model(case_checkpoint(case))
    image = load_file(OFFICIAL / case / "input.safetensors")["image"]
    expected = load_file(OFFICIAL / case / "expected.safetensors")
    with torch.no_grad():
        out = model(image)
    if isinstance(model, Sapiens2Backbone):
        pairs = [(out[0], expected["tokens"])]
    else:
        outs = out if isinstance(out, tuple) else (out,)
        pairs = [(o, expected[f"out{i}"]) for i, o in enumerate(outs)]
    for ours, reference in pairs:
        assert ours.shape == reference.shape
        assert relative_max_error(ours, reference) < TOLERANCE[case_json(case)["rope_dtype"]]


def test_loaded_parameters_are_trainable():
    assert all(p.requires_grad for p in load_model(BACKBONE).parameters())


def test_backbone_kwargs_override_the_inferred_ones():
    model = load_model(BACKBONE, pos_embed_rope_dtype="fp32", out_type="featmap")
    assert model.rope_embed.dtype == torch.float32
    assert model.out_type == "featmap"


def test_torch_teacher_checkpoint_loads_like_safetensors(tmp_path):
    path = tmp_path / "pretrain.pth"
    torch.save({"teacher": {f"backbone.{k}": v for k, v in load_file(BACKBONE).items()}}, path)
    from_torch, from_safetensors = load_model(path).state_dict(), load_model(BACKBONE).state_dict()
    assert all(torch.equal(from_torch[k], from_safetensors[k]) for k in from_safetensors)


def test_task_checkpoint_where_a_backbone_is_expected():
    with pytest.raises(
        CheckpointError,
        match=r"task_pose/model\.safetensors is a pose task checkpoint \(backbone \+ decode_head\) but a backbone was expected; pass take_backbone=True to load only its backbone",
    ):
        load_model(POSE, expect="backbone")


def test_take_backbone_strips_the_prefix_and_drops_the_head():
    model = load_model(POSE, expect="backbone", take_backbone=True)
    assert isinstance(model, Sapiens2Backbone)
    stored = {k.removeprefix("backbone."): v for k, v in load_file(POSE).items() if k.startswith("backbone.")}
    loaded = model.state_dict()
    assert set(loaded) == set(stored)
    assert all(torch.equal(loaded[k], stored[k]) for k in stored)


@pytest.mark.parametrize("request_kwargs", [{"expect": "task"}, {"task": "pose"}])
def test_backbone_checkpoint_where_a_task_model_is_expected(request_kwargs):
    with pytest.raises(
        CheckpointError,
        match=r"holds only a backbone \(a custom arch \(embed 64, 18 layers, 4 heads, ffn 256\)\), no decode_head, but a .*model was requested; "
        r"a task model needs a head: build it with build_task_model\(.*\) and load this file into model\.backbone with "
        r"model\.backbone\.load_state_dict\(load_state_dict\(path\)\), or load it as a backbone with load_model\(path, expect='backbone'\)",
    ):
        load_model(BACKBONE, **request_kwargs)


def test_task_model_of_the_right_task():
    model = load_model(POSE, task="pose", arch=case_json("task_pose")["arch"])
    assert isinstance(model, Sapiens2TaskModel) and model.task == "pose"


def test_another_task_than_asked():
    with pytest.raises(CheckpointError, match=r"task_pose/model\.safetensors is a pose model but task 'seg' was requested; pass task='pose' or give a seg checkpoint"):
        load_model(POSE, task="seg")


def test_another_arch_than_asked(tmp_path):
    path = tmp_path / "sapiens2_0.4b_pretrain.pth"
    torch.save(official_stand_in("pretrain/sapiens2_0.4b"), path)
    with pytest.raises(
        CheckpointError,
        match=r"^checkpoint .*sapiens2_0\.4b_pretrain\.pth is sapiens2_0\.4b \(embed 1024, 24 layers\) but sapiens2_1b was requested; "
        r"pass arch='sapiens2_0\.4b' or leave arch out to use the checkpoint's$",
    ):
        load_model(path, arch="sapiens2_1b")


def test_a_4k_checkpoint_is_the_1b_arch(tmp_path):
    path = tmp_path / "sapiens2_1b_4k_pretrain.pth"
    torch.save(official_stand_in("pretrain/sapiens2_1b_4k"), path)
    info = inspect_checkpoint(path)
    assert (info.layout.arch_name, info.layout.use_tokenizer) == ("sapiens2_1b", True)
    with pytest.raises(CheckpointError, match=r"is sapiens2_1b \(embed 1536, 40 layers, 4K tokenizer\) but sapiens2_0\.8b was requested"):
        load_model(path, arch="sapiens2_0.8b")


def test_custom_arch_asked_by_other_numbers():
    wanted = dict(case_json("backbone_rope_bf16")["arch"], num_layers=12)
    with pytest.raises(
        CheckpointError,
        match=r"is a custom arch \(embed 64, 18 layers, 4 heads, ffn 256\) but a custom arch \(embed 64, 12 layers, 4 heads, ffn 256\) was requested; leave arch out",
    ):
        load_model(BACKBONE, arch=wanted)


@pytest.fixture
def damaged_backbone(tmp_path):
    """The bf16 backbone fixture without its final norm and with 7 stray keys."""
    state_dict = load_file(BACKBONE)
    final_norm = state_dict.pop("ln1.weight")
    state_dict |= {f"extra.{i}": torch.zeros(1) for i in range(7)}
    path = tmp_path / "damaged.safetensors"
    save_file(state_dict, path)
    return path, final_norm


def test_missing_and_unexpected_keys_when_strict(damaged_backbone):
    path, _ = damaged_backbone
    with pytest.raises(
        CheckpointError,
        match=r"damaged\.safetensors does not fit the backbone model built from it \(a custom arch \(embed 64, 18 layers, 4 heads, ffn 256\)\): "
        r"missing keys: 1 \(ln1\.weight\); unexpected keys: 7 \(extra\.0, extra\.1, extra\.2, extra\.3, extra\.4, \.\.\. 2 more\); "
        r"fix the checkpoint, or pass strict=False to load the keys that fit",
    ):
        load_model(path)


def test_not_strict_loads_what_fits(damaged_backbone):
    path, final_norm = damaged_backbone
    model = load_model(path, strict=False)
    stored = load_file(path)
    loaded = model.state_dict()
    assert all(torch.equal(loaded[k], stored[k]) for k in loaded if k != "ln1.weight")
    assert torch.equal(loaded["ln1.weight"], torch.ones_like(final_norm))  # fresh RMSNorm init, not the stored one
    assert not any(t.is_meta for t in loaded.values())


def test_shape_mismatch(tmp_path):
    state_dict = load_file(BACKBONE)
    state_dict["ln1.weight"] = torch.ones(32)
    path = tmp_path / "odd.safetensors"
    save_file(state_dict, path)
    with pytest.raises(CheckpointError, match=r"odd\.safetensors does not fit the backbone model built from it \(.*\): tensors whose shapes differ \(checkpoint vs model\): 1 "
        r"\(ln1\.weight \(32,\) vs \(64,\)\); the checkpoint's layout is not one this SDK builds"):
        load_model(path, strict=False)


def test_no_sapiens2_layout_names_the_file(tmp_path):
    path = tmp_path / "resnet.safetensors"
    save_file({"conv1.weight": torch.zeros(8, 3, 7, 7), "fc.weight": torch.zeros(10, 8)}, path)
    with pytest.raises(CheckpointError, match=r"resnet\.safetensors: not a Sapiens2 checkpoint: none of its keys look like a Sapiens2 encoder"):
        load_model(path)
    with pytest.raises(CheckpointError, match=r"resnet\.safetensors: not a Sapiens2 checkpoint"):
        inspect_checkpoint(path)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"expect": "head"}, "expect must be 'backbone', 'task' or None"),
        ({"task": "pose", "expect": "backbone"}, "asks for a task model but expect='backbone'"),
        ({"take_backbone": True, "expect": "task"}, "take_backbone=True loads a backbone"),
    ],
)
def test_contradictory_requests(kwargs, message):
    with pytest.raises(ValueError, match=message):
        load_model(POSE, **kwargs)


def test_load_state_dict_is_the_plain_reader():
    assert set(load_state_dict(POSE)) == set(load_file(POSE))
