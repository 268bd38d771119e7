"""Pose and segmentation targets of the same crop: a COCO keypoint JSON plus one label PNG per image.

The layout ``sapiens2 label --masks`` writes: ``frames/<name>.jpg`` in the JSON and
``masks/<name>.png`` (class ids, 0 background / 1 person; 255 ignored) beside it. The label map
goes through the same flip and affine warp as the image (nearest neighbour; outside the image is
ignored), so the two targets agree pixel for pixel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np
import torch

from .coco_pose import CocoPoseDataset, person_mask_file
from .errors import DatasetError
from .seg_folder import IGNORE

PERSON_CLASSES = ("background", "person")


class CocoPoseMaskDataset(CocoPoseDataset):
    """``CocoPoseDataset`` samples with ``labels`` (H, W) int64 at the crop size added.

    Each annotation file's masks are in ``masks/`` beside that file, unless ``masks`` names one folder for all.
    """

    def __init__(
        self,
        annotations: str | Path | Sequence[str | Path],
        masks: str | Path | None = None,
        classes: Sequence[str] | None = None,
        **pose_options: Any,
    ) -> None:
        super().__init__(annotations, **pose_options)
        self.classes = tuple(classes) if classes else PERSON_CLASSES
        for sample in self.samples:
            sample["mask"] = person_mask_file(sample, masks)
            if not sample["mask"].parent.is_dir():
                raise DatasetError(
                    f"mask folder {sample['mask'].parent} does not exist (`sapiens2 label --masks` writes it beside the annotation file)"
                )
            if not sample["mask"].is_file():
                raise DatasetError(f"{sample['file'].name} in {sample['annotations']} has no mask {sample['mask']}")

    def aligned_targets(self, sample: dict[str, Any], flipped: bool, matrix: np.ndarray) -> dict[str, torch.Tensor]:
        labels = cv2.imread(str(sample["mask"]), cv2.IMREAD_UNCHANGED)
        if labels is None or labels.ndim != 2:
            raise DatasetError(f"cannot read {sample['mask']} as a one-channel label PNG")
        known = (labels < len(self.classes)) | (labels == IGNORE)
        if not known.all():
            raise DatasetError(
                f"{sample['mask']} has class id {int(labels[~known].max())} but there are {len(self.classes)} classes"
            )
        if flipped:
            labels = np.ascontiguousarray(labels[:, ::-1])
        crop = cv2.warpAffine(labels, matrix, self.input_size, flags=cv2.INTER_NEAREST, borderValue=IGNORE)
        return {"labels": torch.from_numpy(crop.astype(np.int64))}
