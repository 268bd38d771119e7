"""Layer groups, simulated quantization and the sensitivity scan that picks the layers kept in float."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
from fixture_paths import case_checkpoint, case_json
from sapiens2.checkpoints import load_model
from sapiens2.threads import torch_threads
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.quantize.layers import LayerGroup, kept_layers, layer_groups
from sapiens2.quantize.sensitivity import (
    FEATURES,
    OUTPUTS,
    SIMULATIONS,
    GroupSensitivity,
    fake_quantize_activation,
    fake_quantize_weight,
    model_input,
    observed_ranges,
    raw_outputs,
    scan,
    select_kept,
    simulated,
)
from torch import nn

SIZE = tuple(case_json("task_pose")["img_size"])


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def pose() -> ExportWrapper:
    return ExportWrapper(load_model(case_checkpoint("task_pose")), SIZE).eval()


def test_int8_weights_round_each_output_channel_on_its_own_scale() -> None:
    weight = torch.tensor([[0.5, -1.0, 0.25], [100.0, 3.0, -50.0]])
    rounded = fake_quantize_weight(weight, bits=8, group=None)
    scales = torch.tensor([[1.0 / 127], [100.0 / 127]])
    assert torch.equal(rounded, (weight / scales).round() * scales)  # a channel's scale ignores the other's outlier
    assert (rounded - weight).abs().le(scales / 2 + 1e-7).all()


def test_int4_groups_and_transposed_convolutions_use_their_output_axis() -> None:
    weight = torch.randn(4, 64)
    weight[0, 0] = 50.0  # an outlier spoils only its own group of 32
    rounded = fake_quantize_weight(weight, bits=4, group=32)
    assert torch.allclose(rounded[0, 32:], weight[0, 32:], atol=weight[0, 32:].abs().max() / 7 / 2 + 1e-6)
    assert rounded[0, 1:32].abs().max() <= 50.0 / 7 / 2  # drowned by the outlier's scale
    transposed = torch.randn(3, 5, 2, 2)  # ConvTranspose2d: (in, out, kH, kW)
    transposed[:, 2] *= 100.0
    per_out = fake_quantize_weight(transposed, bits=8, group=None, output_dim=1)
    assert (per_out[:, 0] - transposed[:, 0]).abs().max() < transposed[:, 0].abs().max() / 127


def test_static_activations_keep_zero_exact_over_the_calibrated_range() -> None:
    x = torch.tensor([-1.0, 0.0, 0.3, 2.0, 5.0])
    q = fake_quantize_activation(x, -1.0, 2.0)
    assert q[1] == 0.0 and q[4] == pytest.approx(2.0, abs=3 / 255)  # clipped to the range
    assert (q[:4] - x[:4]).abs().max() <= 3 / 255 / 2 + 1e-6


def test_groups_are_block_parts_and_lone_layers(pose: ExportWrapper) -> None:
    groups = layer_groups(pose.model)
    names = [group.name for group in groups]
    blocks = case_json("task_pose")["arch"]["num_layers"]
    assert names[0] == "backbone.patch_embed.projection" and names[1:3] == ["backbone.blocks.0.attn", "backbone.blocks.0.ffn"]
    assert sum(name.startswith("backbone.blocks.") for name in names) == 2 * blocks
    assert names[-1] == "decode_head.conv_pose" and "decode_head.deconv_layers.0" in names
    attention = groups[1]
    assert attention.layers == tuple(f"backbone.blocks.0.attn.{n}" for n in ("wq", "wk", "wv", "proj"))
    assert attention.parameters == sum(dict(pose.model.named_modules())[n].weight.numel() for n in attention.layers)
    linears = layer_groups(pose.model, (nn.Linear,))
    assert {g.name for g in linears} == {n for n in names if n.startswith("backbone.blocks.")}
    assert kept_layers(groups, ["backbone.blocks.0.ffn"]) == {"backbone.blocks.0.ffn.w12", "backbone.blocks.0.ffn.w3"}


def _result(name: str, sensitivity: float, parameters: int = 10, measured_at: str = OUTPUTS) -> GroupSensitivity:
    return GroupSensitivity(LayerGroup(name, (name,), parameters), sensitivity, measured_at)


def test_selection_keeps_outliers_worst_first_within_the_budget() -> None:
    results = [_result("a", 1e-4), _result("b", 2e-4), _result("c", 1e-2, 30), _result("d", 5e-3), _result("e", 1.5e-4), _result("f", 3e-4)]
    # 80 parameters: a budget of 0.5 allows 40: c (30) and d (10); f (3e-4) is 2x the median (1.75e-4) but over budget.
    assert select_kept(results, 0.5) == ["c", "d"]
    assert select_kept(results, 0.2) == ["d"]  # c does not fit 16; the next outlier does
    assert select_kept(results, 0.0) == []
    assert select_kept([_result(n, 1e-3) for n in "xyz"], 0.9) == []  # nothing stands out


def test_scan_finds_the_layer_an_outlier_spoils(pose: ExportWrapper) -> None:
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((1, 3, *SIZE)).astype(np.float32) for _ in range(2)]
    w3 = pose.model.backbone.blocks[9].ffn.w3
    original = w3.weight.data.clone()
    w3.weight.data[:, 0] = 200.0 * original.abs().max()  # one huge input column: per-channel int8 flushes the rest to 0
    try:
        results = scan(pose, inputs, "int8-weights")
    finally:
        w3.weight.data = original
    worst = max(results, key=lambda r: r.sensitivity)
    assert worst.group.name == "backbone.blocks.9.ffn"
    assert "backbone.blocks.9.ffn" in select_kept(results, 0.1)
    assert torch.equal(w3.weight, original)  # the scan leaves the model as it found it


def test_selection_compares_each_group_with_the_median_of_its_own_measuring_place() -> None:
    # Features move far less than outputs: against one median no feature group would stand out.
    backbone = [_result(f"b{i}", s, measured_at=FEATURES) for i, s in enumerate([1e-6, 1e-6, 1.1e-6, 5e-6])]
    head = [_result(f"h{i}", s) for i, s in enumerate([1e-2, 1e-2, 3e-2])]
    # b3 stands 5x over its median 1.05e-6, h2 3x over 1e-2; 70 parameters, a budget of 0.3 allows 21.
    assert select_kept(backbone + head, 0.3) == ["b3", "h2"]
    assert select_kept(backbone + head, 0.2) == ["b3"]


def _samples(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal((1, 3, *SIZE)).astype(np.float32) for _ in range(count)]


def _hand_distance(pose: ExportWrapper, group: LayerGroup, precision: str, inputs: list[np.ndarray]) -> float:
    """The sensitivity computed the long way: whole-model passes, compared where the scan says it measures."""
    x = model_input(pose, np.concatenate(inputs))
    named = dict(pose.model.named_modules())
    modules = {name: named[name] for name in group.layers}
    taps: list[torch.Tensor] = []
    hook = pose.model.decode_head.register_forward_pre_hook(lambda _, args: taps.append(args[0]))
    try:
        with observed_ranges(modules) as ranges:
            reference = raw_outputs(pose, x)
        with simulated(modules, SIMULATIONS[precision], ranges):
            candidate = raw_outputs(pose, x)
    finally:
        hook.remove()
    if group.name.startswith("backbone."):
        reference, candidate = (taps[0],), (taps[1],)
    cosines = [nn.functional.cosine_similarity(r.double().flatten(1), c.double().flatten(1), dim=1).mean() for r, c in zip(reference, candidate)]
    return float(np.mean([1.0 - c.item() for c in cosines]))


@pytest.mark.parametrize("precision", ["int8", "int8-weights"])
def test_scan_from_recorded_activations_matches_whole_model_passes(pose: ExportWrapper, precision: str) -> None:
    inputs = _samples(2)
    with torch.no_grad():
        results = {r.group.name: r for r in scan(pose, inputs, precision)}
        for name, place in [("backbone.patch_embed.projection", FEATURES), ("backbone.blocks.1.ffn", FEATURES), ("decode_head.deconv_layers.0", OUTPUTS), ("decode_head.conv_pose", OUTPUTS)]:
            result = results[name]
            assert result.measured_at == place
            assert result.sensitivity > 0
            assert result.sensitivity == pytest.approx(_hand_distance(pose, result.group, precision, inputs), rel=1e-6, abs=1e-12)


def test_scan_runs_each_stage_only_for_the_groups_at_or_before_it(pose: ExportWrapper) -> None:
    """One reference pass, then each group runs what follows it: block i for the groups up to it, the head only for head groups."""
    blocks = case_json("task_pose")["arch"]["num_layers"]
    # Counted on a module inside each stage: a replayed stage is called, but what it holds does not run.
    backbone, head = pose.model.backbone, pose.model.decode_head
    stages = {"patch_embed": backbone.patch_embed.projection, "decode_head": head.conv_pose}
    stages |= {f"block{i}": block.ln1 for i, block in enumerate(backbone.blocks)}
    calls = dict.fromkeys(stages, 0)
    hooks = [module.register_forward_pre_hook(lambda *_, name=name: calls.__setitem__(name, calls[name] + 1)) for name, module in stages.items()]
    try:
        results = scan(pose, _samples(2), "int8")
    finally:
        for hook in hooks:
            hook.remove()
    head_groups = sum(r.group.name.startswith("decode_head.") for r in results)
    assert len(results) == 1 + 2 * blocks + head_groups
    assert calls["patch_embed"] == 2  # the reference pass and the patch embedding's own group
    for i in range(blocks):  # reference + patch embedding + the attention and FFN groups of blocks 0..i
        assert calls[f"block{i}"] == 1 + 1 + 2 * (i + 1)
    assert calls["decode_head"] == 1 + head_groups  # the head's last layer: backbone groups stop at the features
