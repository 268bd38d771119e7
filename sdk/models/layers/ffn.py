"""SwiGLU feed-forward with a fused input projection (keys ``ffn.w12`` and ``ffn.w3``)."""

import torch
import torch.nn.functional as F
from torch import nn


class SwiGLUFFN(nn.Module):
    """``w3(silu(a) * b)`` where ``[a, b] = w12(x)``; the hidden width is used as given (no 2/3 shrink)."""

    def __init__(self, dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.w12 = nn.Linear(dim, 2 * hidden_dim)
        self.w3 = nn.Linear(hidden_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate_and_value = self.w12(x)
        # Slices rather than chunk(): exporters lower chunk to split ops that mobile delegates skip.
        gate = gate_and_value[..., : self.hidden_dim]
        value = gate_and_value[..., self.hidden_dim :]
        return self.w3(F.silu(gate) * value)
