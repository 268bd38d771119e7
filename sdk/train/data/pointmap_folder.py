"""Pointmap samples from ``images/`` + ``targets/`` (``.npy`` H x W x 3 metric points) + ``intrinsics/`` (``.npy`` 3 x 3).

Targets are camera-frame points in metres (OpenCV axes: x right, y down, z forward); pixels with
non-finite points or Z <= 0 are outside the mask. The intrinsics are those of the image as stored.
The image is letterboxed to the input size as at inference (targets and mask nearest), the
intrinsics follow the resize and padding, and the target becomes canonical as the official
GenerateTarget does: ``s = 768 / fx`` of the model input and ``P_c = s * P``. Augmentation:
photometric distortion, random scale and continuous crop (p 0.3 each, ``geometric``; the intrinsics
follow the pixels) and a horizontal flip (p 0.3; X negated, cx mirrored). The official filters
then drop (``dense_filters``; redrawn by ``PairedFolderDataset``) training samples with under 16
valid pixels, over 96 % of the pixels valid, or a canonical depth under 0.04.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from sapiens2.processing.normalize import normalize

from .dense_filters import depth_rejection, mask_rejection
from .errors import DatasetError
from .folder_pairs import PairedFolderDataset, read_image_and_array
from .geometric import letterbox_with_targets, random_scale_and_crop
from .photometric import photometric_distortion

CANONICAL_FOCAL = 768.0
FLIP_PROB = 0.3


class PointmapFolderDataset(PairedFolderDataset):
    """(image, target, mask, scale, intrinsics) samples at ``input_size`` (W, H); ``target`` is canonical."""

    def __init__(
        self, root: str | Path, input_size: tuple[int, int] = (768, 1024), augment: bool = True, seed: int = 0
    ) -> None:
        super().__init__(root, "targets", (".npy",), input_size, augment, seed)
        self.intrinsics_dir = self.root / "intrinsics"
        if not self.intrinsics_dir.is_dir():
            raise DatasetError(f"pointmap dataset {self.root} needs an 'intrinsics/' folder (one 3 x 3 .npy per image)")

    def draw(self, rng: np.random.Generator, index: int) -> dict[str, Any]:
        image_path, target_path = self.pairs[index]
        image, points = read_image_and_array(image_path, target_path)
        intrinsics = self._intrinsics(image_path.stem)
        if self.augment:
            image = photometric_distortion(rng, image)
            image, (points,), moved = random_scale_and_crop(rng, image, [points])
            intrinsics = moved.move_intrinsics(intrinsics)
            if rng.random() < FLIP_PROB:
                image, points = image[:, ::-1], points[:, ::-1].copy()
                points[..., 0] *= -1
                intrinsics[0, 2] = image.shape[1] - 1 - intrinsics[0, 2]
        mask = (np.isfinite(points).all(-1) & (points[..., 2] > 0)).astype(np.float32)
        points = np.nan_to_num(points) * mask[..., None]
        image, (points, mask), box = letterbox_with_targets(image, [points, mask], self.input_size)
        left, _, top, _ = box.padding
        content_h, content_w = box.content_shape
        rx, ry = content_w / box.original_shape[1], content_h / box.original_shape[0]
        intrinsics[0] *= rx
        intrinsics[1] *= ry
        intrinsics[0, 2] += left
        intrinsics[1, 2] += top
        scale = CANONICAL_FOCAL / float(intrinsics[0, 0])
        return {
            "image": torch.from_numpy(normalize(image)[0]),
            "target": torch.from_numpy((scale * points).transpose(2, 0, 1).copy()),
            "mask": torch.from_numpy(mask[None]),
            "scale": torch.tensor([scale], dtype=torch.float32),
            "intrinsics": torch.from_numpy(intrinsics),
        }

    def rejection(self, sample: dict[str, Any]) -> str | None:
        # The official Pack runs after GenerateTarget, so its 0.04 bounds the canonical depth (the same Pack
        # reports the mean canonical Z as gt_mean_depth): a metric 4 cm at an input fx of 768, 8 cm at 1536.
        mask = sample["mask"][0].numpy()
        return mask_rejection(mask) or depth_rejection(sample["target"][2].numpy(), mask)

    def _intrinsics(self, stem: str) -> np.ndarray:
        path = self.intrinsics_dir / f"{stem}.npy"
        if not path.is_file():
            raise DatasetError(f"image {stem} has no intrinsics file {path} (a 3 x 3 camera matrix)")
        matrix = np.load(path).astype(np.float32)
        if matrix.shape != (3, 3) or not np.isfinite(matrix).all() or matrix[0, 0] <= 0 or matrix[1, 1] <= 0:
            raise DatasetError(
                f"{path} must be a finite 3 x 3 camera matrix with positive focal lengths, got shape {matrix.shape}"
            )
        return matrix
