"""Geometric ops the dense tasks share: rescaling, the official continuous crop, and the letterbox to the input size.

The scale and crop also return where the input's pixel centres land (a ``PixelMap``), so that the pointmap
dataset can move its camera intrinsics with the pixels. Targets are resampled nearest because a
blend of two normals, points or class ids across an object's edge is a value from neither side;
INTER_NEAREST_EXACT maps pixel centres as the image's bilinear resize does, so a target stays under
the image pixel it belongs to. The letterbox takes an interpolation per target, since the official
one resizes an albedo (a colour, which may blend) bilinearly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from sapiens2.processing.resize import Letterbox, letterbox

SCALE_PROB, SCALE_RANGE = 0.3, (0.5, 2.0)
CROP_PROB, CROP_ASPECT, CROP_AREA, CROP_TRIES = 0.3, (0.5, 2.0), (0.4, 1.0), 8


@dataclass(frozen=True)
class PixelMap:
    """``u' = sx * u + dx``, ``v' = sy * v + dy``: where a pixel centre of the input lies in the output."""

    sx: float = 1.0
    sy: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    def then(self, after: PixelMap) -> PixelMap:
        """This map followed by ``after``."""
        return PixelMap(after.sx * self.sx, after.sy * self.sy, after.sx * self.dx + after.dx, after.sy * self.dy + after.dy)

    def move_intrinsics(self, intrinsics: np.ndarray) -> np.ndarray:
        """The camera matrix of the output: a 3D point projects to where its input pixel went."""
        affine = np.array([[self.sx, 0, self.dx], [0, self.sy, self.dy], [0, 0, 1]], dtype=np.float64)
        return (affine @ intrinsics).astype(intrinsics.dtype)


def scaled_size(shape: tuple[int, ...], factor: float) -> tuple[int, int]:
    """(W, H) of an image of ``shape`` (H, W, ...) scaled by ``factor``, at least one pixel each."""
    return max(1, round(shape[1] * factor)), max(1, round(shape[0] * factor))


def rescale(
    image: np.ndarray, targets: Sequence[np.ndarray], size: tuple[int, int]
) -> tuple[np.ndarray, list[np.ndarray], PixelMap]:
    """``image`` (bilinear) and ``targets`` (nearest) resized to ``size`` (W, H)."""
    height, width = image.shape[:2]
    resized = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
    resized_targets = [cv2.resize(t, size, interpolation=cv2.INTER_NEAREST_EXACT) for t in targets]
    sx, sy = size[0] / width, size[1] / height
    return resized, resized_targets, PixelMap(sx, sy, 0.5 * (sx - 1), 0.5 * (sy - 1))


def crop(
    image: np.ndarray, targets: Sequence[np.ndarray], box: tuple[int, int, int, int]
) -> tuple[np.ndarray, list[np.ndarray], PixelMap]:
    """The ``box`` (left, top, width, height) of ``image`` and of each target."""
    left, top, width, height = box
    window = (slice(top, top + height), slice(left, left + width))
    cut = [np.ascontiguousarray(a[window]) for a in (image, *targets)]
    return cut[0], cut[1:], PixelMap(dx=-left, dy=-top)


def continuous_crop_box(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """A box of area U[0.4, 1] of the image and aspect (w / h) U[0.5, 2] at a random place; the first
    of 8 tries that fits inside the image, or None when none does (the official RandomCropContinuous)."""
    height, width = shape[:2]
    for _ in range(CROP_TRIES):
        area = height * width * rng.uniform(*CROP_AREA)
        aspect = rng.uniform(*CROP_ASPECT)
        box_w, box_h = round(np.sqrt(area * aspect)), round(np.sqrt(area / aspect))
        if 0 < box_w <= width and 0 < box_h <= height:
            return int(rng.integers(width - box_w + 1)), int(rng.integers(height - box_h + 1)), box_w, box_h
    return None


def random_scale_and_crop(
    rng: np.random.Generator, image: np.ndarray, targets: Sequence[np.ndarray]
) -> tuple[np.ndarray, list[np.ndarray], PixelMap]:
    """The official RandomScale (p 0.3, x U[0.5, 2]) then RandomCropContinuous (p 0.3) of normals,
    pointmaps and albedo, with the ``PixelMap`` of both together."""
    moved, targets = PixelMap(), list(targets)
    if rng.random() < SCALE_PROB:
        image, targets, step = rescale(image, targets, scaled_size(image.shape, rng.uniform(*SCALE_RANGE)))
        moved = moved.then(step)
    if rng.random() < CROP_PROB and (box := continuous_crop_box(rng, image.shape)) is not None:
        image, targets, step = crop(image, targets, box)
        moved = moved.then(step)
    return image, targets, moved


def letterbox_with_targets(
    image: np.ndarray,
    targets: Sequence[np.ndarray],
    input_size: tuple[int, int],
    interpolations: Sequence[int] | None = None,
) -> tuple[np.ndarray, list[np.ndarray], Letterbox]:
    """``image`` letterboxed to ``input_size`` (W, H) as at inference, and each target resized into the same
    content box with zeros (outside the mask) in the padding: the official "Resize letterbox". Targets are
    resized with their OpenCV flag in ``interpolations``, nearest by default (the official albedo is bilinear)."""
    image, box = letterbox(np.ascontiguousarray(image), input_size)
    left, _, top, _ = box.padding
    height, width = box.content_shape
    placed = []
    # INTER_NEAREST maps pixel corners, as the official intrinsics of a letterbox (scaled, then shifted) do.
    for target, interpolation in zip(targets, interpolations or [cv2.INTER_NEAREST] * len(targets), strict=True):
        resized = cv2.resize(np.ascontiguousarray(target), (width, height), interpolation=interpolation)
        canvas = np.zeros((input_size[1], input_size[0]) + target.shape[2:], target.dtype)
        canvas[top : top + height, left : left + width] = resized
        placed.append(canvas)
    return image, placed, box
