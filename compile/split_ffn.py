"""SwiGLU feed-forwards exported with their fused input projection as two products, gate and value.

The official ``ffn.w12`` is one linear layer whose output is cut in half (gate, value). Exported as
it is, OpenVINO runs the cut as a ``VariadicSplit`` on a reference kernel that copies the whole
(tokens x 2 * hidden) output: 24 of 1140 ms of the fp32 0.1B pose at 512x384, 12 of 317 in bf16, on
an AMX Xeon. Two products over the two halves of the weight compute the same dot products with no
copy. The rewritten module keeps the layer's name (``ffn.w12``), so the exported ops carry the same
module path and quantization's kept-layer scopes still match them.

The model is left untouched: ``split_ffn_projections`` swaps the modules only while an export runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from sapiens2.models.layers.ffn import SwiGLUFFN
from torch import nn


class GateValueLinear(nn.Module):
    """``w12`` as two products: (gate, value) = the two halves of ``w12(x)``, each from its own weight rows."""

    def __init__(self, fused: nn.Linear, hidden_dim: int) -> None:
        super().__init__()
        # Row halves of a row-major weight are contiguous views: the export holds no second copy of the weights.
        weight = fused.weight.detach()
        self.register_buffer("gate_weight", weight[:hidden_dim], persistent=False)
        self.register_buffer("value_weight", weight[hidden_dim:], persistent=False)
        bias = fused.bias.detach() if fused.bias is not None else None
        self.register_buffer("gate_bias", None if bias is None else bias[:hidden_dim], persistent=False)
        self.register_buffer("value_bias", None if bias is None else bias[hidden_dim:], persistent=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return F.linear(x, self.gate_weight, self.gate_bias), F.linear(x, self.value_weight, self.value_bias)


class SplitSwiGLUFFN(nn.Module):
    """The same function as ``SwiGLUFFN``, with ``w12`` computed as two products."""

    def __init__(self, ffn: SwiGLUFFN) -> None:
        super().__init__()
        self.w12 = GateValueLinear(ffn.w12, ffn.hidden_dim)
        self.w3 = ffn.w3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate, value = self.w12(x)
        return self.w3(F.silu(gate) * value)


@contextmanager
def split_ffn_projections(model: nn.Module) -> Iterator[None]:
    """Swap every SwiGLU feed-forward of ``model`` for its split form; the originals come back after."""
    swapped = [(name, module) for name, module in model.named_modules() if type(module) is SwiGLUFFN]
    for name, module in swapped:
        model.set_submodule(name, SplitSwiGLUFFN(module))
    try:
        yield
    finally:
        for name, module in swapped:
            model.set_submodule(name, module)
