"""Pointmap training: folders of arrays with intrinsics, the official seven-term objective, mean L2 error."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from .data.pointmap_folder import PointmapFolderDataset
from .pointmap_losses import pointmap_loss
from .task_recipes import TaskRecipe, resize_like


class PointmapRecipe(TaskRecipe):
    """Validation: the mean Euclidean distance of canonical predicted and true points over valid pixels
    (the official evaluator's first figure); lower is better."""

    metric_name = "mean L2 (canonical)"
    higher_is_better = False

    def dataset(self, path: str, images: str | None, augment: bool) -> PointmapFolderDataset:
        return PointmapFolderDataset(path, self.input_size, augment, self.config.run.seed)

    def loss(self, outputs: tuple[torch.Tensor, torch.Tensor], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        pointmap, scale = outputs
        pred = resize_like(pointmap.float(), batch["target"])
        return pointmap_loss(pred, scale.float(), batch["target"], batch["scale"], batch["mask"], batch["intrinsics"])

    def evaluate(self, model: nn.Module, batches: Iterable[dict[str, torch.Tensor]]) -> float:
        total = pixels = 0.0
        for batch in batches:
            pointmap, _ = model(batch["image"])
            distance = (resize_like(pointmap.float(), batch["target"]) - batch["target"]).norm(dim=1, keepdim=True)
            total, pixels = total + float((distance * batch["mask"]).sum()), pixels + float(batch["mask"].sum())
        return total / max(pixels, 1)
