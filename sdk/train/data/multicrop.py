"""Multi-crop views of unlabelled images for pretraining: two global views without colour changes,
several smaller local views with photometric distortion (the contrastive recipe of the paper)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from sapiens2.processing.normalize import normalize

from .errors import DatasetError
from .folder_pairs import IMAGE_SUFFIXES
from .photometric import photometric_distortion

GLOBAL_SCALE = (0.32, 1.0)
LOCAL_SCALE = (0.05, 0.32)


def random_resized_crop(rng: np.random.Generator, image: np.ndarray, size: tuple[int, int], scale: tuple[float, float]) -> np.ndarray:
    """A crop of ``scale`` of the area and aspect 3/4 to 4/3, resized to ``size`` (W, H) and flipped with p 0.5."""
    height, width = image.shape[:2]
    area = height * width * rng.uniform(*scale)
    aspect = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
    crop_w = int(min(width, round(math.sqrt(area * aspect))))
    crop_h = int(min(height, round(math.sqrt(area / aspect))))
    x, y = rng.integers(0, width - crop_w + 1), rng.integers(0, height - crop_h + 1)
    view = cv2.resize(image[y : y + crop_h, x : x + crop_w], size, interpolation=cv2.INTER_LINEAR)
    return view[:, ::-1] if rng.random() < 0.5 else view


class MultiCropDataset(Dataset):
    """``globals`` (2, 3, H, W) and ``locals`` (L, 3, H/2, W/2) views of every image under ``root`` (recursive)."""

    def __init__(self, root: str | Path, input_size: tuple[int, int], local_crops: int = 4, augment: bool = True, seed: int = 0) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise DatasetError(f"pretraining data {self.root} must be a folder of images")
        self.files = sorted(p for p in self.root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.files:
            raise DatasetError(f"{self.root} holds no images ({', '.join(IMAGE_SUFFIXES)})")
        self.input_size = tuple(input_size)
        self.local_size = tuple(max(16, s // 2 // 16 * 16) for s in input_size)
        self.local_crops, self.augment, self.seed, self.epoch = local_crops, augment, seed, 0

    def __len__(self) -> int:
        return len(self.files)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, Any]:
        image = cv2.imread(str(self.files[index]), cv2.IMREAD_COLOR)
        if image is None:
            raise DatasetError(f"cannot read image {self.files[index]}")
        if not self.augment:  # held-out frames: the whole image, one view
            view = normalize(cv2.resize(image, self.input_size, interpolation=cv2.INTER_AREA))[0]
            return {"image": torch.from_numpy(view)}
        rng = np.random.default_rng([self.seed, self.epoch, index])
        globals_ = [random_resized_crop(rng, image, self.input_size, GLOBAL_SCALE) for _ in range(2)]
        locals_ = [photometric_distortion(rng, np.ascontiguousarray(random_resized_crop(rng, image, self.local_size, LOCAL_SCALE))) for _ in range(self.local_crops)]
        return {
            "image": torch.from_numpy(normalize(np.stack(globals_))),
            "locals": torch.from_numpy(normalize(np.stack(locals_))),
        }
