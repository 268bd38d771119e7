"""Fit images to a dense model's input (stretch for seg, letterbox for normal/pointmap/albedo) and undo it.

Sizes follow OpenCV: ``input_size`` is (width, height); array shapes are (height, width).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

DENSE_INPUT_SIZE = (768, 1024)


def stretch_resize(image: np.ndarray, input_size: tuple[int, int] = DENSE_INPUT_SIZE) -> np.ndarray:
    """Resize to ``input_size`` without keeping the aspect ratio (official seg test pipeline).

    INTER_AREA when the width shrinks, INTER_CUBIC otherwise: the official rule looks at width only.
    """
    width, height = input_size
    interpolation = cv2.INTER_AREA if width < image.shape[1] else cv2.INTER_CUBIC
    return cv2.resize(image, (width, height), interpolation=interpolation)


@dataclass(frozen=True)
class Letterbox:
    """Where the image content sits inside a letterboxed model input.

    ``padding`` is (left, right, top, bottom) in model-input pixels, ``content_shape`` the (h, w) of
    the resized image inside it, ``original_shape`` the (H, W) of the image before resizing.
    """

    padding: tuple[int, int, int, int]
    content_shape: tuple[int, int]
    original_shape: tuple[int, int]


def letterbox(image: np.ndarray, input_size: tuple[int, int] = DENSE_INPUT_SIZE) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio, then pad with black to ``input_size`` (official ResizePadImage).

    scale = min(W_in/W, H_in/H); the new size is truncated with int() (at least 1); INTER_LINEAR; the padding is
    split with the smaller half on the left/top.
    """
    height, width = image.shape[:2]
    target_w, target_h = input_size
    scale = min(target_w / width, target_h / height)
    # At least one pixel: an extreme aspect ratio would truncate a side to 0 (where the official code crashes).
    new_w, new_h = max(1, int(width * scale)), max(1, int(height * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_w, pad_h = target_w - new_w, target_h - new_h
    left, top = pad_w // 2, pad_h // 2
    padding = (left, pad_w - left, top, pad_h - top)
    padded = cv2.copyMakeBorder(resized, top, pad_h - top, left, pad_w - left, cv2.BORDER_CONSTANT, value=0)
    return padded, Letterbox(padding=padding, content_shape=(new_h, new_w), original_shape=(height, width))


def crop_padding(map_hwc: np.ndarray, padding: tuple[int, int, int, int]) -> np.ndarray:
    """Cut the letterbox ``padding`` (left, right, top, bottom) off an HxW(xC) map at model resolution."""
    left, right, top, bottom = padding
    height, width = map_hwc.shape[:2]
    return map_hwc[top : height - bottom, left : width - right]


def resize_map(map_hwc: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinearly resize an HxW(xC) float map to ``shape`` (H, W) with half-pixel centres.

    cv2's INTER_LINEAR on float data equals torch's bilinear interpolation with align_corners=False
    (no antialiasing), which is what the official post-processing uses.
    """
    height, width = shape
    if map_hwc.shape[:2] == (height, width):
        return map_hwc.copy()
    resized = cv2.resize(map_hwc, (width, height), interpolation=cv2.INTER_LINEAR)
    return resized.reshape((height, width) + map_hwc.shape[2:])
