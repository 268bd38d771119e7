"""Normal / albedo samples from ``images/`` + ``targets/`` (``.npy`` H x W x 3 float arrays).

Pixels whose target is all zero or not finite are outside the mask. Training samples take the
official augmentation of their task (targets and masks always resampled nearest):

- normal: photometric distortion -> down-up sampling (p 0.2) -> random scale and continuous crop
  (p 0.3 each, ``geometric``) -> flip (p 0.3, the normal's x negated) -> resize -> Gaussian blur,
  Gaussian noise and solarize (p 0.3 each);
- albedo: random scale and continuous crop -> flip (p 0.3, only mirrored) -> resize -> Gaussian
  noise (p 0.2); no colour change, since the colours are the target.
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
from .geometric import random_scale_and_crop
from .photometric import down_up_sample, gaussian_blur, gaussian_noise, photometric_distortion, solarize

FLIP_PROB = 0.3
DOWN_UP_PROB = 0.2
NORMAL_BLUR_PROB, NORMAL_NOISE_PROB, NORMAL_SOLARIZE_PROB = 0.3, 0.3, 0.3
ALBEDO_NOISE_PROB = 0.2


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
            image, target = self._before_resize(rng, image, target)
        mask = (np.isfinite(target).all(-1) & (np.abs(target).sum(-1) > 0)).astype(np.float32)
        target = np.nan_to_num(target)
        image = cv2.resize(np.ascontiguousarray(image), self.input_size, interpolation=cv2.INTER_LINEAR)
        target = cv2.resize(np.ascontiguousarray(target), self.input_size, interpolation=cv2.INTER_NEAREST)
        mask = cv2.resize(mask, self.input_size, interpolation=cv2.INTER_NEAREST)
        if self.augment:
            image = self._after_resize(rng, image)
        return {
            "image": torch.from_numpy(normalize(image)[0]),
            "target": torch.from_numpy(target.transpose(2, 0, 1).copy()),
            "mask": torch.from_numpy(mask[None]),
        }

    def _before_resize(
        self, rng: np.random.Generator, image: np.ndarray, target: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Colour (normal only) and geometry at the stored size; a flip negates a normal's x."""
        if self.task == "normal":
            image = photometric_distortion(rng, image)
            if rng.random() < DOWN_UP_PROB:
                image = down_up_sample(rng, image)
        image, (target,), _ = random_scale_and_crop(rng, image, [target])
        if rng.random() < FLIP_PROB:
            image, target = image[:, ::-1], target[:, ::-1].copy()
            if self.task == "normal":
                target[..., 0] *= -1
        return image, target

    def _after_resize(self, rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
        """The image-only ops the official pipelines run at the input size."""
        if self.task == "albedo":
            return gaussian_noise(rng, image) if rng.random() < ALBEDO_NOISE_PROB else image
        if rng.random() < NORMAL_BLUR_PROB:
            image = gaussian_blur(rng, image)
        if rng.random() < NORMAL_NOISE_PROB:
            image = gaussian_noise(rng, image)
        return solarize(image) if rng.random() < NORMAL_SOLARIZE_PROB else image
