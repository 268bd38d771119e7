"""Image-only augmentations with OpenCV: the official photometric distortion, blurs, noise, solarize,
down-up sampling and one coarse dropout hole. The single ops (blur, noise, solarize, down-up) always
apply: their probability differs by task, so the dataset draws it.

OpenCV rather than albumentations: albumentations pulls ``opencv-python-headless``, whose ``cv2``
would shadow the SDK's ``opencv-contrib-python-headless``; these few ops are one call each.
"""

from __future__ import annotations

import cv2
import numpy as np

from .geometric import scaled_size

DOWN_UP_INTERPOLATIONS = (cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_CUBIC, cv2.INTER_AREA, cv2.INTER_LANCZOS4)


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


def gaussian_blur(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """A 3 x 3 Gaussian blur of sigma U[0.1, 2] (official GaussianBlur of the dense tasks)."""
    return cv2.GaussianBlur(image, (3, 3), rng.uniform(0.1, 2.0))


def gaussian_noise(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Zero-mean Gaussian noise of variance U[5, 20] (grey levels squared) per pixel and channel."""
    noise = rng.normal(0.0, np.sqrt(rng.uniform(5.0, 20.0)), image.shape)
    return np.clip(np.round(image + noise), 0, 255).astype(np.uint8)


def solarize(image: np.ndarray, threshold: int = 128) -> np.ndarray:
    """Grey levels above ``threshold`` inverted (v -> 255 - v), the rest kept."""
    return np.where(image > threshold, 255 - image, image).astype(np.uint8)


def down_up_sample(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Down to U[0.1, 0.7] of the size and back, each way with a random interpolation: the detail of a
    low-resolution photo, at the same size."""
    small_size = scaled_size(image.shape, rng.uniform(0.1, 0.7))
    down, up = (DOWN_UP_INTERPOLATIONS[i] for i in rng.integers(len(DOWN_UP_INTERPOLATIONS), size=2))
    return cv2.resize(cv2.resize(image, small_size, interpolation=down), image.shape[1::-1], interpolation=up)
