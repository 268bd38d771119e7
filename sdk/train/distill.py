"""Teacher -> student distillation: output distillation (heatmaps / logits) and projected feature distillation.

Student block outputs are tapped with forward hooks (the model code stays unchanged), projected to
the teacher's width by a trainable linear map (identity-initialised when the widths match, as in the
windowed-attention retrofit) and pulled toward the teacher's tokens of the matching depth by a
cosine loss. The projections train with the student and are dropped from its checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from sapiens2.models.multitask_model import HEAD_TASKS, MULTITASK

from . import losses


class BlockTaps:
    """Captures the outputs of ``backbone.blocks[i]`` for the chosen ``layers`` on every forward."""

    def __init__(self, backbone: nn.Module, layers: Sequence[int]) -> None:
        self.layers = list(layers)
        self.outputs: dict[int, torch.Tensor] = {}
        self.handles = [backbone.blocks[i].register_forward_hook(self._keep(i)) for i in self.layers]

    def _keep(self, index: int):
        def hook(module: nn.Module, args: tuple, output: torch.Tensor) -> None:
            self.outputs[index] = output

        return hook

    def take(self) -> list[torch.Tensor]:
        """The captured outputs in ``layers`` order, released so the next forward starts empty."""
        return [self.outputs.pop(i) for i in self.layers]


def matching_layer(student_layer: int, student_depth: int, teacher_depth: int) -> int:
    """The teacher block at the same relative depth (the last block maps to the last block)."""
    return round((student_layer + 1) * teacher_depth / student_depth) - 1


class DistillationModel(nn.Module):
    """The student plus its feature projections; ``forward`` returns the student's output and tapped features."""

    def __init__(self, student: nn.Module, teacher: nn.Module, student_layers: Sequence[int]) -> None:
        super().__init__()
        self.student = student
        depth_s, depth_t = student.backbone.num_layers, teacher.backbone.num_layers
        self.student_layers = [i % depth_s for i in student_layers]
        self.teacher_layers = [matching_layer(i, depth_s, depth_t) for i in self.student_layers]
        width_s, width_t = student.backbone.embed_dims, teacher.backbone.embed_dims
        self.projections = nn.ModuleList(nn.Linear(width_s, width_t) for _ in self.student_layers)
        for projection in self.projections:
            if width_s == width_t:
                nn.init.eye_(projection.weight)
                nn.init.zeros_(projection.bias)
        self._taps = BlockTaps(student.backbone, self.student_layers)

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        outputs = self.student(images)
        features = [projection(tokens) for projection, tokens in zip(self.projections, self._taps.take())]
        return outputs, features


class Teacher:
    """A frozen task model giving its outputs and the tokens of the requested blocks."""

    def __init__(self, model: nn.Module, layers: Sequence[int]) -> None:
        self.model = model.eval().requires_grad_(False)
        self._taps = BlockTaps(model.backbone, layers)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        outputs = self.model(images)
        return outputs, self._taps.take()


def output_distillation(task: str, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    """Heatmap MSE for pose (official x10 scale), soft cross-entropy on logits for seg, L1 for dense maps;
    a multitask model's outputs are distilled head by head and summed."""
    if task == MULTITASK:
        return sum(output_distillation(name, s, t) for name, s, t in zip(HEAD_TASKS, student, teacher))
    teacher = teacher.to(student.dtype)
    if task == "pose":
        return losses.keypoint_mse(student, teacher, torch.ones(student.shape[:2], device=student.device))
    if task == "seg":
        return -(torch.softmax(teacher, 1) * torch.log_softmax(student, 1)).sum(1).mean()
    return (student - teacher).abs().mean()


def feature_distillation(student: Sequence[torch.Tensor], teacher: Sequence[torch.Tensor]) -> torch.Tensor:
    """Mean over tapped layers of the token-wise cosine distance (tokens are (B, N, C): channels last)."""
    terms = [losses.feature_cosine(s.transpose(1, 2), t.transpose(1, 2)) for s, t in zip(student, teacher)]
    return torch.stack(terms).mean()
