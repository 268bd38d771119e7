"""Normal / albedo samples from ``images/`` + ``targets/`` (``.npy`` H x W x 3 float arrays).

Pixels whose target is all zero or not finite are outside the mask. Flipping a normal map negates
its x component; an albedo map is only mirrored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from sapiens2.processing.normalize import normalize

from .errors import DatasetError
from .folder_pairs import PairedFolderDataset, read_image_and_array
from .photometric import photometric_distortion


class DenseArrayDataset(PairedFolderDataset):
    """(image, target, mask) samples for ``task`` in normal | albedo, at ``input_size`` (W, H)."""

    def __init__(self, root: str | Path, task: str, input_size: tuple[int, int] = (768, 1024), augment: bool = True, seed: int = 0) -> None:
        if task not in ("normal", "albedo"):
            raise DatasetError(f"folders of arrays hold normal or albedo targets, not {task!r}")
        super().__init__(root, "targets", (".npy",), input_size, augment, seed)
        self.task = task

    def __getitem__(self, index: int) -> dict[str, Any]:
        image_path, target_path = self.pairs[index]
        image, target = read_image_and_array(image_path, target_path)
        rng = np.random.default_rng([self.seed, self.epoch, index])
        if self.augment:
            if self.task == "normal":
                image = photometric_distortion(rng, image)
            if rng.random() < 0.3:
                image, target = image[:, ::-1], target[:, ::-1].copy()
                if self.task == "normal":
                    target[..., 0] *= -1
        mask = (np.isfinite(target).all(-1) & (np.abs(target).sum(-1) > 0)).astype(np.float32)
        target = np.nan_to_num(target)
        image = cv2.resize(np.ascontiguousarray(image), self.input_size, interpolation=cv2.INTER_LINEAR)
        target = cv2.resize(np.ascontiguousarray(target), self.input_size, interpolation=cv2.INTER_NEAREST)
        mask = cv2.resize(mask, self.input_size, interpolation=cv2.INTER_NEAREST)
        return {
            "image": torch.from_numpy(normalize(image)[0]),
            "target": torch.from_numpy(target.transpose(2, 0, 1).copy()),
            "mask": torch.from_numpy(mask[None]),
        }
