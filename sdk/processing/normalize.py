"""BGR uint8 images -> the normalised float32 NCHW RGB tensor every Sapiens2 model takes."""

from __future__ import annotations

import numpy as np

# ImageNet statistics x255 in RGB order, exactly as the official ImagePreprocessor uses at inference.
MEAN_RGB = (123.675, 116.28, 103.53)
STD_RGB = (58.395, 57.12, 57.375)


def normalize(images_bgr: np.ndarray) -> np.ndarray:
    """Normalise HxWx3 (or NxHxWx3) uint8 BGR to float32 (N)x3xHxW RGB; bit-identical to the official code.

    The order of operations matters for bit parity: cast to float32, reorder to RGB, then
    ``(x - mean) / std`` in float32 (a multiply by 1/std would differ in the last bit).
    """
    images = np.asarray(images_bgr)
    if images.ndim == 3:
        images = images[None]
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected HxWx3 or NxHxWx3 BGR images, got shape {images.shape}")
    rgb_nchw = images.astype(np.float32)[..., ::-1].transpose(0, 3, 1, 2)
    mean = np.asarray(MEAN_RGB, dtype=np.float32).reshape(1, 3, 1, 1)
    std = np.asarray(STD_RGB, dtype=np.float32).reshape(1, 3, 1, 1)
    return np.ascontiguousarray((rgb_nchw - mean) / std)
