"""Per-layer sensitivity scan: which layer groups quantize badly, and which to keep in float.

The scan simulates the precision's quantization in PyTorch on ONE layer group at a time (weights
rounded to int8 per output channel, or to int4 in groups of 32 input values; for ``int8`` the
layer inputs also rounded to int8 over the range seen on the calibration inputs) and measures how
far the model moves from fp32 (1 - cosine, averaged over outputs and inputs): a backbone group at
the backbone features (the decode head's input, the tensor the accuracy gate checks), a head group
at the raw outputs. One reference pass records the activations; each group's pass replays
everything before the group from them (``replay.py``) and, in the backbone, stops at the features,
so the scan of the 0.1B costs about 10 whole-model passes of compute instead of 33. It runs
in PyTorch rather than in each target's tool so that one pass of cheap forward calls serves every
target; the groups it picks are then excluded with each tool's own mechanism (ORT
``nodes_to_exclude``, NNCF ``ignored_scope``, the XNNPACK quantizer's filter, Core ML
``op_name_configs``, torchao's ``filter_fn``).

Selection: the most sensitive groups are kept in float, worst first, while they stand out (at
least ``OUTLIER_FACTOR`` times the median sensitivity of the groups measured at the same place)
and their weights fit the float budget (a share of all quantizable weights).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from .layers import WEIGHT_LAYERS, LayerGroup, layer_groups
from .replay import backbone_features, record, replayed

if TYPE_CHECKING:  # the scan runs the compile's export wrapper; quantize sits below compile and never imports it
    from sapiens2.compile.wrappers import ExportWrapper

OUTLIER_FACTOR = 2.0
INT4_GROUP = 32
# Calibration inputs the scan runs on. Two keep the ranking's head: on the random 0.1B pose at 512x384 the same two
# groups stayed in float with 2 as with 4, and the OpenVINO int8 bundle had the same feature cosine (0.99794), while
# the scan took 48 s instead of 87 (2 threads, AMX CPU, session 10).
SCAN_INPUTS = 2
HEAD = "decode_head"
FEATURES, OUTPUTS = "backbone features", "outputs"  # where a group's effect is measured


@dataclass(frozen=True)
class Simulation:
    """What one precision does to a layer: weight bits (per channel, or per group of ``group`` inputs) and activations."""

    weight_bits: int
    group: int | None
    static_activations: bool


SIMULATIONS = {
    "int8": Simulation(8, None, True),
    "int8-weights": Simulation(8, None, False),
    "int4-weights": Simulation(4, INT4_GROUP, False),
}


@dataclass(frozen=True)
class GroupSensitivity:
    """How far ``measured_at`` moves (mean 1 - cosine) when only ``group`` is quantized."""

    group: LayerGroup
    sensitivity: float
    measured_at: str = OUTPUTS


def fake_quantize_weight(weight: torch.Tensor, bits: int, group: int | None, output_dim: int = 0) -> torch.Tensor:
    """Symmetric round-to-nearest: one scale per output channel, or per ``group`` consecutive inputs of it."""
    levels = 2 ** (bits - 1) - 1
    rows = weight.transpose(0, output_dim).reshape(weight.shape[output_dim], -1)
    width = rows.shape[1]
    if group is not None and width % group == 0:
        rows = rows.reshape(rows.shape[0], -1, group)
    scale = rows.abs().amax(dim=-1, keepdim=True).clamp_min(1e-12) / levels
    rounded = (rows / scale).round().clamp(-levels - 1, levels) * scale
    shape = list(weight.shape)
    shape[0], shape[output_dim] = shape[output_dim], shape[0]
    return rounded.reshape(shape).transpose(0, output_dim)


def fake_quantize_activation(x: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """Asymmetric uint8 over [low, high] (zero kept exact), as static int8 activations are."""
    low, high = min(low, 0.0), max(high, 0.0)
    scale = max(high - low, 1e-12) / 255
    zero = round(-low / scale)
    return ((x / scale).round() + zero).clamp(0, 255).sub(zero).mul(scale)


def model_input(wrapper: ExportWrapper, batch: np.ndarray) -> torch.Tensor:
    """What the task model takes for a batch of artifact inputs (the wrapper's in-graph normalisation applied)."""
    x = torch.from_numpy(batch)
    return wrapper.normalizer(x) if wrapper.normalizer is not None else x


def raw_outputs(wrapper: ExportWrapper, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The task model's raw float outputs for a model input (in-graph decoding left out)."""
    out = wrapper.model(x, (wrapper.rope_sin, wrapper.rope_cos))
    return out if isinstance(out, tuple) else (out,)


@contextmanager
def simulated(modules: dict[str, nn.Module], simulation: Simulation, ranges: dict[str, tuple[float, float]]) -> Iterator[None]:
    """Quantize the weights (and, for static int8, the inputs) of ``modules`` for the duration of the block."""
    with ExitStack() as stack:
        for name, module in modules.items():
            original = module.weight.data
            output_dim = 1 if isinstance(module, nn.ConvTranspose2d) else 0
            module.weight.data = fake_quantize_weight(original, simulation.weight_bits, simulation.group, output_dim)
            stack.callback(setattr, module.weight, "data", original)
            if simulation.static_activations:
                low, high = ranges[name]
                hook = module.register_forward_pre_hook(lambda _, args, lo=low, hi=high: (fake_quantize_activation(args[0], lo, hi),))
                stack.callback(hook.remove)
        yield


@contextmanager
def observed_ranges(modules: dict[str, nn.Module]) -> Iterator[dict[str, tuple[float, float]]]:
    """(min, max) of each module's input over the forward passes run inside the block."""
    ranges: dict[str, tuple[float, float]] = {}

    def observe(name: str):
        def hook(_: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            low, high = float(args[0].min()), float(args[0].max())
            old = ranges.get(name, (low, high))
            ranges[name] = (min(old[0], low), max(old[1], high))

        return hook

    with ExitStack() as stack:
        for name, module in modules.items():
            stack.callback(module.register_forward_pre_hook(observe(name)).remove)
        yield ranges


def _distance(reference: tuple[torch.Tensor, ...], candidate: tuple[torch.Tensor, ...]) -> float:
    """Mean over outputs and inputs of 1 - cosine."""
    drops = [
        1.0 - nn.functional.cosine_similarity(r.double().flatten(1), c.double().flatten(1), dim=1).mean().item()
        for r, c in zip(reference, candidate)
    ]
    return float(np.mean(drops))


@torch.no_grad()
def scan(
    wrapper: ExportWrapper, inputs: Sequence[np.ndarray], precision: str, types: tuple[type[nn.Module], ...] = WEIGHT_LAYERS
) -> list[GroupSensitivity]:
    """Sensitivity of every group of ``types`` layers of ``wrapper.model`` under ``precision``, in forward order.

    One reference pass records the activations (``replay``); each group's pass then replays what
    came before it and stops at the backbone features when the group lies in the backbone.
    """
    simulation = SIMULATIONS[precision]
    model = wrapper.model
    x = model_input(wrapper, np.concatenate(list(inputs)[:SCAN_INPUTS]))
    named = dict(model.named_modules())
    groups = layer_groups(model, types)
    every = {name: named[name] for group in groups for name in group.layers}
    features: dict[str, torch.Tensor] = {}
    head_input = model.decode_head.register_forward_pre_hook(lambda _, args: features.update(reference=args[0]))
    try:
        with observed_ranges(every if simulation.static_activations else {}) as ranges:
            reference, log = record(model, lambda: raw_outputs(wrapper, x), [*every, HEAD])
    finally:
        head_input.remove()
    firsts = {group.name: min(group.layers, key=log.started.__getitem__) for group in groups}
    log.keep_only({stage for first in firsts.values() for stage in log.before(first)})
    results = []
    for group in groups:
        in_backbone = log.started[firsts[group.name]] < log.started[HEAD]
        replay = replayed(model, log, log.before(firsts[group.name]))
        with replay, simulated({name: every[name] for name in group.layers}, simulation, ranges):
            if in_backbone:
                distance = _distance((features["reference"],), (backbone_features(model, lambda: raw_outputs(wrapper, x)),))
            else:
                distance = _distance(reference, raw_outputs(wrapper, x))
        results.append(GroupSensitivity(group, distance, FEATURES if in_backbone else OUTPUTS))
    return results


def select_kept(results: Sequence[GroupSensitivity], budget: float) -> list[str]:
    """Groups to keep in float: those standing out most from the median of groups measured at the same place
    first, while they stand out and fit ``budget``."""
    if budget <= 0 or not results:
        return []
    places = {r.measured_at for r in results}
    medians = {place: float(np.median([r.sensitivity for r in results if r.measured_at == place])) for place in places}

    def standing(result: GroupSensitivity) -> float:
        median = medians[result.measured_at]
        return result.sensitivity / median if median > 0 else float("inf")

    allowance = budget * sum(r.group.parameters for r in results)
    kept, used = [], 0
    for result in sorted(results, key=standing, reverse=True):
        if standing(result) < OUTLIER_FACTOR:
            break
        if used + result.group.parameters <= allowance:
            kept.append(result.group.name)
            used += result.group.parameters
    return kept


def scan_table(results: Sequence[GroupSensitivity], kept: Sequence[str]) -> list[dict[str, object]]:
    """The report's record of the scan, in forward order."""
    return [
        {
            "group": r.group.name,
            "parameters": r.group.parameters,
            "one_minus_cosine": r.sensitivity,
            "measured_at": r.measured_at,
            "kept_in_float": r.group.name in kept,
        }
        for r in results
    ]
