"""Per-channel LayerScale on the attention branch (key ``attn.gamma.weight``)."""

import torch
from torch import nn


class LayerScale(nn.Module):
    """Multiplies the branch output by a learned per-channel vector, initialised small."""

    def __init__(self, dim: int, init_value: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((dim,), float(init_value)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.weight
