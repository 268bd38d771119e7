"""Self-distilled contrastive learning (DINO-style): projection head, centred and sharpened teacher targets."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ProjectionHead(nn.Module):
    """MLP to a bottleneck, L2-normalised, then a weight-normalised linear layer onto ``prototypes`` logits."""

    def __init__(self, in_dims: int, hidden: int = 256, bottleneck: int = 64, prototypes: int = 1024) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dims, hidden), nn.GELU(), nn.Linear(hidden, bottleneck))
        self.prototypes = nn.utils.parametrizations.weight_norm(nn.Linear(bottleneck, prototypes, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.prototypes(F.normalize(self.mlp(x), dim=-1))


def dino_loss(
    student: list[torch.Tensor], teacher: list[torch.Tensor], center: torch.Tensor, student_temp: float = 0.1, teacher_temp: float = 0.04
) -> torch.Tensor:
    """Cross-entropy between each teacher (global) view and every student view of a different index."""
    targets = [F.softmax((t - center) / teacher_temp, dim=-1) for t in teacher]
    terms = []
    for i, target in enumerate(targets):
        for j, logits in enumerate(student):
            if i != j:
                terms.append(-(target * F.log_softmax(logits / student_temp, dim=-1)).sum(-1).mean())
    return torch.stack(terms).mean()
