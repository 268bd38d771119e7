"""The layers quantization acts on, grouped the way the sensitivity scan measures them.

Only layers with weights are quantized: linears and convolutions (transposed ones included). Every
encoder block (backbone and 4K tokenizer) gives two groups, its attention projections
(``...blocks.3.attn``: q, k, v, out) and its feed-forward (``...blocks.3.ffn``); every other weight
layer (patch embedding, each head convolution or linear) is a group of its own. Normalisation,
RoPE, softmax and the attention score/value products carry no weights and stay in float on every
target (``NEVER_QUANTIZED``). Names are module paths in the task model, e.g.
``backbone.blocks.0.attn.wq``; the exported graphs carry the same paths, which is how each target
maps a kept group to its own exclusion mechanism.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sapiens2.models.layers.block import EncoderBlock
from torch import nn

WEIGHT_LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
BLOCK_PARTS = ("attn", "ffn")
NEVER_QUANTIZED = ("normalisation (RMSNorm, InstanceNorm)", "RoPE", "softmax", "attention score and value products")


@dataclass(frozen=True)
class LayerGroup:
    """A named set of weight layers that is quantized, or kept in float, as one."""

    name: str
    layers: tuple[str, ...]
    parameters: int


def layer_groups(model: nn.Module, types: tuple[type[nn.Module], ...] = WEIGHT_LAYERS) -> list[LayerGroup]:
    """The model's weight layers of ``types`` in forward order, grouped per block part and per lone layer."""
    block_of: dict[str, str] = {}
    for block_name, block in model.named_modules():
        if isinstance(block, EncoderBlock):
            for part in BLOCK_PARTS:
                for layer_name, layer in getattr(block, part).named_modules():
                    if isinstance(layer, types):
                        block_of[f"{block_name}.{part}.{layer_name}"] = f"{block_name}.{part}"
    groups: dict[str, list[tuple[str, nn.Module]]] = {}
    for name, module in model.named_modules():
        if isinstance(module, types):
            groups.setdefault(block_of.get(name, name), []).append((name, module))
    return [
        LayerGroup(group, tuple(name for name, _ in members), sum(m.weight.numel() for _, m in members))
        for group, members in groups.items()
    ]


def kept_layers(groups: Iterable[LayerGroup], kept: Iterable[str]) -> set[str]:
    """Module paths of the weight layers in the groups named ``kept``."""
    names = set(kept)
    return {layer for group in groups if group.name in names for layer in group.layers}
