"""The multi-task student: pose and segmentation heads on one backbone, trained on the same crops.

Data: a COCO keypoint JSON with a label PNG per image in ``masks/`` beside it (what ``sapiens2
label --masks`` writes); each sample carries heatmaps and the crop's label map. Loss: the pose
loss plus ``loss.seg_weight`` times the segmentation loss, from one forward pass. Validation
reports PCK (the main metric) and mIoU.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from sapiens2.models.multitask_model import HEADS_PREFIX

from . import losses, metrics
from .data import CocoPoseMaskDataset
from .task_recipes import PoseRecipe, batch_confusion


class MultiTaskRecipe(PoseRecipe):
    """``PoseRecipe`` for the keypoints, plus the label maps and the segmentation loss and metric."""

    def pose_head_overrides(self) -> dict[str, Any]:
        return (self.config.model.head or {}).get("pose") or {}

    def dataset(self, path: str, images: str | None, augment: bool) -> CocoPoseMaskDataset:
        return CocoPoseMaskDataset(
            path, classes=self.config.data.classes, images=images, augment=augment, **self.crop_options()
        )

    def head_outputs(self, dataset: CocoPoseMaskDataset) -> dict[str, int]:
        return {"pose": dataset.num_keypoints, "seg": len(dataset.classes)}

    def loss(self, outputs: tuple[torch.Tensor, torch.Tensor], batch: dict[str, torch.Tensor]) -> torch.Tensor:
        heatmaps, logits = outputs
        return super().loss(heatmaps, batch) + self.config.loss.seg_weight * losses.seg_loss(
            logits, batch["labels"], None
        )

    def checkpoint_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``backbone.*`` + ``decode_heads.pose.*`` + ``decode_heads.seg.*``."""
        return {k: v for k, v in state.items() if k.startswith(("backbone.", HEADS_PREFIX))}

    def evaluate(self, model: nn.Module, batches: Iterable[dict[str, torch.Tensor]]) -> float:
        """PCK of the pose head (returned) and mIoU of the seg head (``secondary_metrics``), one pass per batch."""
        hits = count = 0
        matrix = None
        for batch in batches:
            heatmaps, logits = model(batch["image"])
            h, c = self.pck_counts(heatmaps, batch)
            hits, count = hits + h, count + c
            found = batch_confusion(logits, batch["labels"])
            matrix = found if matrix is None else matrix + found
        self.secondary_metrics = {"mIoU": metrics.mean_iou(matrix)}
        return hits / max(count, 1)
