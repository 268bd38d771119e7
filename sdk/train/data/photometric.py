"""Image-only augmentations with OpenCV: the official photometric distortion, blurs and one coarse dropout hole.

OpenCV rather than albumentations: albumentations pulls ``opencv-python-headless``, whose ``cv2``
would shadow the SDK's ``opencv-contrib-python-headless``; these few ops are one call each.
"""

from __future__ import annotations

import cv2
import numpy as np


def photometric_distortion(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Brightness +-32, contrast x[0.5, 1.5] (before or after colour), saturation x[0.5, 1.5], hue +-18; each p 0.5."""
    out = image.astype(np.float32)
    if rng.random() < 0.5:
        out += rng.uniform(-32, 32)
    contrast_first = rng.random() < 0.5
    contrast = rng.uniform(0.5, 1.5) if rng.random() < 0.5 else None
    if contrast_first and contrast is not None:
        out *= contrast
    hsv = cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_BGR2HSV).astype(np.float32)
    if rng.random() < 0.5:
        hsv[..., 1] *= rng.uniform(0.5, 1.5)
    if rng.random() < 0.5:
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(-18, 18)) % 180
    out = cv2.cvtColor(np.clip(hsv, 0, [180, 255, 255]).astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)
    if not contrast_first and contrast is not None:
        out *= contrast
    return np.clip(out, 0, 255).astype(np.uint8)


def blur_and_dropout(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Official pose extras: Blur p 0.1, MedianBlur p 0.1, one dropout hole of 20-40 % of H and W (always)."""
    if rng.random() < 0.1:
        image = cv2.blur(image, (3, 3))
    if rng.random() < 0.1:
        image = cv2.medianBlur(image, 3)
    height, width = image.shape[:2]
    hole_h, hole_w = int(height * rng.uniform(0.2, 0.4)), int(width * rng.uniform(0.2, 0.4))
    y, x = rng.integers(0, height - hole_h + 1), rng.integers(0, width - hole_w + 1)
    image = image.copy()
    image[y : y + hole_h, x : x + hole_w] = 0
    return image
