"""The official segmentation training augmentation, and the ops only segmentation uses (keep-ratio
resize, class-balanced crop, rotation, the foreground rule).

Order: background replacement (p 0.8, with ``data.backgrounds``) -> random resize -> crop (p 0.3)
-> blur (p 0.3) -> noise (p 0.3) -> rotation (p 0.5) -> flip (p 0.5, left/right classes swapped) ->
photometric distortion; the dataset then stretches to the input size.
"""

from __future__ import annotations

import cv2
import numpy as np

from .background_swap import BackgroundSwap
from .geometric import crop, rescale, scaled_size
from .photometric import gaussian_blur, gaussian_noise, photometric_distortion
from .seg_background import paste_on_background

BACKGROUND, IGNORE = 0, 255
RESIZE_RANGE = (0.4, 2.0)
CROP_PROB, CAT_MAX_RATIO, CROP_TRIES = 0.3, 0.75, 10
BLUR_PROB, NOISE_PROB = 0.3, 0.3
ROTATE_PROB, MAX_ROTATION = 0.5, 60.0
FLIP_PROB = 0.5
MIN_FOREGROUND = 0.01  # the official Pack drops samples with less foreground than this share


def foreground(labels: np.ndarray) -> np.ndarray:
    """Pixels of a class other than background and ignore."""
    return (labels != BACKGROUND) & (labels != IGNORE)


def random_resize(
    rng: np.random.Generator, image: np.ndarray, labels: np.ndarray, input_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the aspect ratio, fit in the box ``input_size`` x U[0.4, 2] (long side to its long side,
    short to short, the smaller factor, as mmcv's keep-ratio rescale)."""
    box = np.asarray(input_size) * rng.uniform(*RESIZE_RANGE)
    factor = min(box.max() / max(labels.shape), box.min() / min(labels.shape))
    image, (labels,), _ = rescale(image, [labels], scaled_size(labels.shape, factor))
    return image, labels


def crop_window(rng: np.random.Generator, labels: np.ndarray, size: tuple[int, int]) -> tuple[int, int]:
    """(left, top) of a ``size`` (W, H) window: the first of 10 random ones where no class holds 75 % or
    more of the labelled pixels (ignore excluded), else the last one (official cat_max_ratio)."""
    height, width = labels.shape
    for _ in range(CROP_TRIES):
        left, top = int(rng.integers(width - size[0] + 1)), int(rng.integers(height - size[1] + 1))
        ids, counts = np.unique(labels[top : top + size[1], left : left + size[0]], return_counts=True)
        counts = counts[ids != IGNORE]
        if len(counts) > 1 and counts.max() / counts.sum() < CAT_MAX_RATIO:
            break
    return left, top


def random_crop(
    rng: np.random.Generator, image: np.ndarray, labels: np.ndarray, input_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A class-balanced ``input_size`` window; a smaller image is first padded right and down (image 0, labels ignore)."""
    pad_w, pad_h = max(input_size[0] - labels.shape[1], 0), max(input_size[1] - labels.shape[0], 0)
    image = cv2.copyMakeBorder(image, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=0)
    labels = cv2.copyMakeBorder(labels, 0, pad_h, 0, pad_w, cv2.BORDER_CONSTANT, value=IGNORE)
    left, top = crop_window(rng, labels, input_size)
    image, (labels,), _ = crop(image, [labels], (left, top, *input_size))
    return image, labels


def rotate(image: np.ndarray, labels: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """Rotated about the centre, same size; uncovered corners are black and background (labels nearest)."""
    height, width = labels.shape
    matrix = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), degrees, 1.0)
    image = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=0)
    labels = cv2.warpAffine(labels, matrix, (width, height), flags=cv2.INTER_NEAREST, borderValue=BACKGROUND)
    return image, labels


def augment_seg(
    rng: np.random.Generator,
    image: np.ndarray,
    labels: np.ndarray,
    input_size: tuple[int, int],
    flip_lut: np.ndarray,
    backgrounds: BackgroundSwap | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One training draw of the official pipeline (module docstring), before the final stretch."""
    if backgrounds is not None and rng.random() < backgrounds.probability:
        image = paste_on_background(rng, image, foreground(labels), backgrounds)
    image, labels = random_resize(rng, image, labels, input_size)
    if rng.random() < CROP_PROB:
        image, labels = random_crop(rng, image, labels, input_size)
    if rng.random() < BLUR_PROB:
        image = gaussian_blur(rng, image)
    if rng.random() < NOISE_PROB:
        image = gaussian_noise(rng, image)
    if rng.random() < ROTATE_PROB:
        image, labels = rotate(image, labels, rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    if rng.random() < FLIP_PROB:
        image, labels = image[:, ::-1], flip_lut[labels[:, ::-1]]
    return photometric_distortion(rng, np.ascontiguousarray(image)), labels
