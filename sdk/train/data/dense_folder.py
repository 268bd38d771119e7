"""Normal / albedo samples from ``images/`` + ``targets/`` (``.npy`` H x W x 3 float arrays).

Pixels whose target is all zero or not finite are outside the mask. Every sample is letterboxed to
the input size as at inference; masks and normals are resampled nearest there, albedo bilinearly as in
the official letterbox (so the colours at the mask's edge blend with the zero background outside it).
Training samples take the official augmentation of their task:

- normal: photometric distortion -> down-up sampling (p 0.2) -> random scale and continuous crop
  (p 0.3 each, ``geometric``) -> flip (p 0.3, the normal's x negated) -> letterbox -> Gaussian blur,
  Gaussian noise and solarize (p 0.3 each);
- albedo: random scale and continuous crop -> flip (p 0.3, only mirrored) -> letterbox -> Gaussian
  noise (p 0.2); no colour change, since the colours are the target;

and the official filters then drop (``dense_filters``; redrawn by ``PairedFolderDataset``) those with
under 16 valid pixels or over 96 % of the pixels valid, and albedo of one flat colour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from sapiens2.processing.normalize import normalize

from .dense_filters import flat_albedo_rejection, mask_rejection
from .errors import DatasetError
from .folder_pairs import PairedFolderDataset, read_image_and_array
from .geometric import letterbox_with_targets, random_scale_and_crop
from .photometric import down_up_sample, gaussian_blur, gaussian_noise, photometric_distortion, solarize

FLIP_PROB = 0.3
DOWN_UP_PROB = 0.2
NORMAL_BLUR_PROB, NORMAL_NOISE_PROB, NORMAL_SOLARIZE_PROB = 0.3, 0.3, 0.3
ALBEDO_NOISE_PROB = 0.2
# The official letterbox resizes an albedo bilinearly (a colour can blend) but a normal nearest (a blend of
# two directions is neither); the mask is nearest for both.
LETTERBOX_INTERPOLATION = {"normal": cv2.INTER_NEAREST, "albedo": cv2.INTER_LINEAR}


class DenseArrayDataset(PairedFolderDataset):
    """(image, target, mask) samples for ``task`` in normal | albedo, at ``input_size`` (W, H)."""

    def __init__(self, root: str | Path, task: str, input_size: tuple[int, int] = (768, 1024), augment: bool = True, seed: int = 0) -> None:
        if task not in ("normal", "albedo"):
            raise DatasetError(f"folders of arrays hold normal or albedo targets, not {task!r}")
        super().__init__(root, "targets", (".npy",), input_size, augment, seed)
        self.task = task

    def draw(self, rng: np.random.Generator, index: int) -> dict[str, Any]:
        image, target = read_image_and_array(*self.pairs[index])
        if self.augment:
            image, target = self._before_letterbox(rng, image, target)
        mask = (np.isfinite(target).all(-1) & (np.abs(target).sum(-1) > 0)).astype(np.float32)
        image, (target, mask), _ = letterbox_with_targets(
            image, [np.nan_to_num(target), mask], self.input_size, [LETTERBOX_INTERPOLATION[self.task], cv2.INTER_NEAREST]
        )
        if self.augment:
            image = self._after_letterbox(rng, image)
        return {
            "image": torch.from_numpy(normalize(image)[0]),
            "target": torch.from_numpy(target.transpose(2, 0, 1).copy()),
            "mask": torch.from_numpy(mask[None]),
        }

    def rejection(self, sample: dict[str, Any]) -> str | None:
        mask = sample["mask"][0].numpy()
        if self.task == "albedo":
            return mask_rejection(mask) or flat_albedo_rejection(sample["target"].numpy(), mask)
        return mask_rejection(mask)

    def _before_letterbox(
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

    def _after_letterbox(self, rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
        """The image-only ops the official pipelines run at the input size."""
        if self.task == "albedo":
            return gaussian_noise(rng, image) if rng.random() < ALBEDO_NOISE_PROB else image
        if rng.random() < NORMAL_BLUR_PROB:
            image = gaussian_blur(rng, image)
        if rng.random() < NORMAL_NOISE_PROB:
            image = gaussian_noise(rng, image)
        return solarize(image) if rng.random() < NORMAL_SOLARIZE_PROB else image
