"""Top-down training crops: the UDP affine with rotation, the official random box transform, flips.

The crop is the same UDP warp the SDK runs at inference (``processing.topdown``), extended with a
rotation about the box centre, so training targets and inference decoding agree.
"""

from __future__ import annotations

import math

import numpy as np

# Official RandomBBoxTransform: shift 0.16 * scale (p 0.3), scale factor 1 +- 0.5 (always), rotation 80 deg (p 0.6).
SHIFT_FACTOR, SHIFT_PROB = 0.16, 0.3
SCALE_FACTOR = 0.5
ROTATE_FACTOR, ROTATE_PROB = 80.0, 0.6


def keypoint_box(keypoints: np.ndarray, visible: np.ndarray) -> np.ndarray | None:
    """Tight (x1, y1, x2, y2) box of the visible keypoints, or None if fewer than two are visible."""
    points = keypoints[visible]
    if len(points) < 2:
        return None
    return np.concatenate([points.min(0), points.max(0)]).astype(np.float32)


def rotated_udp_matrix(center: np.ndarray, scale: np.ndarray, input_size: tuple[int, int], degrees: float) -> np.ndarray:
    """Image -> crop affine: rotate by ``degrees`` about ``center``, map [c - s/2, c + s/2] onto [0, W-1] x [0, H-1]."""
    width, height = input_size
    sx, sy = (width - 1) / float(scale[0]), (height - 1) / float(scale[1])
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    rotation = np.array([[cos, sin], [-sin, cos]])
    linear = np.diag([sx, sy]) @ rotation
    offset = np.array([(width - 1) / 2, (height - 1) / 2]) - linear @ np.asarray(center, dtype=np.float64)
    return np.concatenate([linear, offset[:, None]], axis=1).astype(np.float32)


def random_box_transform(rng: np.random.Generator, center: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The official random shift / scale / rotation of a box, truncated normals in [-1, 1]."""

    def draw(size: int | None = None) -> np.ndarray:
        from scipy.stats import truncnorm  # imported on use: scipy's import adds warnings filters

        return truncnorm.rvs(-1, 1, size=size, random_state=rng)

    if rng.random() < SHIFT_PROB:
        center = center + draw(2).astype(np.float32) * SHIFT_FACTOR * scale
    scale = scale * np.float32(1 + draw() * SCALE_FACTOR)
    degrees = float(draw() * ROTATE_FACTOR) if rng.random() < ROTATE_PROB else 0.0
    return center.astype(np.float32), scale.astype(np.float32), degrees


def flip_horizontally(image: np.ndarray, keypoints: np.ndarray, visible: np.ndarray, flip_indices: tuple[int, ...]):
    """Mirror image and keypoints (x' = W - 1 - x) and swap left/right keypoints."""
    flipped = keypoints.copy()
    flipped[:, 0] = image.shape[1] - 1 - flipped[:, 0]
    order = list(flip_indices)
    return image[:, ::-1].copy(), flipped[order], visible[order]
