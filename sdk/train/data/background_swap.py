"""Background swap: the labelled person, cut out by their mask, pasted onto another picture.

Pose samples use ``apply`` below (the person's mask from ``sapiens2 label --masks``); segmentation
samples take only ``picture`` and composite by their labels (``seg_background``).

A student distilled from a few scenes learns their backgrounds: the demo student found people in
new views of its four indoor scenes and put points on bushes and grass outdoors. Pasting each
person onto pictures of other places (textures, streets, rooms) breaks that shortcut. The masks are
the ones ``sapiens2 label --masks`` writes (``masks/<name>.png`` beside the annotation file, 1 =
person); a sample whose mask misses most of its keypoints (another person's mask) keeps its own
background.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .errors import DatasetError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MIN_KEYPOINTS_ON_MASK = 0.5  # the share of visible keypoints the mask must hold for the swap
FEATHER = 5  # Gaussian kernel (pixels) that softens the mask's edge


@dataclass(frozen=True)
class BackgroundSwap:
    """Pictures to paste people onto, and how often (``probability`` per training sample)."""

    pictures: tuple[Path, ...]
    probability: float = 0.5

    @classmethod
    def from_folder(cls, folder: str | Path, probability: float) -> BackgroundSwap:
        root = Path(folder)
        if not root.is_dir():
            raise DatasetError(f"background folder {root} does not exist")
        pictures = tuple(sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES))
        if not pictures:
            raise DatasetError(f"background folder {root} has no images ({', '.join(IMAGE_SUFFIXES)})")
        if not 0 < probability <= 1:
            raise DatasetError(f"data.background_prob must be in (0, 1], got {probability}")
        return cls(pictures, probability)

    def picture(self, rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray | None:
        """A random crop of ``size`` (H, W) of a random picture, randomly scaled and mirrored; None if unreadable."""
        picture = cv2.imread(str(self.pictures[rng.integers(len(self.pictures))]), cv2.IMREAD_COLOR)
        return None if picture is None else _random_cover(rng, picture, size)

    def apply(
        self, rng: np.random.Generator, image: np.ndarray, mask_file: Path, keypoints: np.ndarray, visible: np.ndarray
    ) -> np.ndarray:
        """``image`` with everything outside the person's mask replaced by a random crop of a random picture."""
        mask = cv2.imread(str(mask_file), cv2.IMREAD_UNCHANGED) if mask_file.is_file() else None
        if mask is None or mask.shape[:2] != image.shape[:2] or not _holds_keypoints(mask == 1, keypoints, visible):
            return image
        background = self.picture(rng, image.shape[:2])
        if background is None:
            return image
        alpha = cv2.GaussianBlur((mask == 1).astype(np.float32), (FEATHER, FEATHER), 0)[..., None]
        return (alpha * image + (1 - alpha) * background).astype(np.uint8)


def _holds_keypoints(person: np.ndarray, keypoints: np.ndarray, visible: np.ndarray) -> bool:
    h, w = person.shape
    points = np.round(keypoints[visible]).astype(int)
    inside = (points[:, 0] >= 0) & (points[:, 0] < w) & (points[:, 1] >= 0) & (points[:, 1] < h)
    if not inside.any():
        return False
    grown = cv2.dilate(person.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    return grown[points[inside, 1], points[inside, 0]].mean() >= MIN_KEYPOINTS_ON_MASK


def _random_cover(rng: np.random.Generator, picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A crop of ``picture``, randomly scaled (1-2x of what covers ``size``), placed and mirrored, of ``size``."""
    h, w = size
    zoom = max(h / picture.shape[0], w / picture.shape[1]) * rng.uniform(1.0, 2.0)
    scaled = cv2.resize(picture, (max(w, round(picture.shape[1] * zoom)), max(h, round(picture.shape[0] * zoom))))
    top, left = rng.integers(scaled.shape[0] - h + 1), rng.integers(scaled.shape[1] - w + 1)
    crop = scaled[top : top + h, left : left + w]
    return np.ascontiguousarray(crop[:, ::-1]) if rng.random() < 0.5 else crop
