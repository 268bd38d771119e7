"""Top-down training crops: the UDP affine with rotation, the official random box transform, flips.

The crop is the same UDP warp the SDK runs at inference (``processing.topdown``), extended with a
rotation about the box centre, so training targets and inference decoding agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config import DataConfig

# Official RandomBBoxTransform: the shift and rotation happen with these probabilities (amounts: the config).
SHIFT_PROB, ROTATE_PROB = 0.3, 0.6
_OFFICIAL = DataConfig()


@dataclass(frozen=True)
class BoxJitter:
    """How far the random box transform may move, scale and turn a box, and how often it is a close-up.

    The official amounts by default (no close-ups). A model of a few million parameters learning from a
    few hundred frames fits better with less (``data.rotate_factor`` and ``data.scale_factor`` in the
    training config); one that must read portraits needs close-ups (``data.closeup_prob``).
    """

    shift_factor: float = _OFFICIAL.shift_factor
    scale_factor: float = _OFFICIAL.scale_factor
    rotate_factor: float = _OFFICIAL.rotate_factor
    closeup_prob: float = _OFFICIAL.closeup_prob


# Official RandomHalfBody: p 0.3 on people with >= 9 visible keypoints, the upper half preferred 0.7,
# at least 2 upper / 3 lower keypoints, the half's box padded 1.5 (not 1.25).
HALF_BODY_PROB, HALF_BODY_MIN_VISIBLE, UPPER_PREFERRED = 0.3, 9, 0.7
MIN_UPPER, MIN_LOWER = 2, 3
HALF_BODY_PADDING = 1.5


def half_body_box(
    rng: np.random.Generator, keypoints: np.ndarray, visible: np.ndarray, upper: tuple[int, ...], lower: tuple[int, ...]
) -> np.ndarray | None:
    """The official random half-body crop: the box of the upper or lower body's visible keypoints, or None.

    Teaches a top-down model the crops users give it (a portrait, legs in a close-up), not only whole people.
    """
    if not upper or visible.sum() < HALF_BODY_MIN_VISIBLE or rng.random() >= HALF_BODY_PROB:
        return None
    seen_upper = [i for i in upper if visible[i]]
    seen_lower = [i for i in lower if visible[i]]
    if len(seen_lower) < MIN_LOWER:
        chosen = seen_upper
    elif len(seen_upper) < MIN_UPPER:
        chosen = seen_lower
    else:
        chosen = seen_upper if rng.random() < UPPER_PREFERRED else seen_lower
    return keypoint_box(keypoints[chosen], np.ones(len(chosen), dtype=bool)) if len(chosen) >= MIN_UPPER else None


# Close-up crops: the box of the keypoints in the top 25-50 % of the person's keypoint height (head and
# shoulders down to the chest or the waist), padded like a half body, from at least three keypoints.
CLOSEUP_DEPTH, MIN_CLOSEUP = (0.25, 0.5), 3


def closeup_box(rng: np.random.Generator, keypoints: np.ndarray, visible: np.ndarray, probability: float) -> np.ndarray | None:
    """With ``probability``, a head-and-shoulders box of an upright person, as a portrait or a webcam frames them; else None.

    Not an official step: footage of whole people alone teaches a small model that a head sits above a
    whole body, and it then looks for one outside the frame of a portrait. The random draw happens only
    when ``probability`` > 0, so configs without close-ups draw the same augmentations as before.
    """
    if probability <= 0 or rng.random() >= probability:
        return None
    points = keypoints[visible]
    if len(points) < MIN_CLOSEUP:
        return None
    top, bottom = points[:, 1].min(), points[:, 1].max()
    chosen = points[points[:, 1] <= top + rng.uniform(*CLOSEUP_DEPTH) * (bottom - top)]
    return keypoint_box(chosen, np.ones(len(chosen), dtype=bool)) if len(chosen) >= MIN_CLOSEUP else None


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


def random_box_transform(
    rng: np.random.Generator, center: np.ndarray, scale: np.ndarray, jitter: BoxJitter
) -> tuple[np.ndarray, np.ndarray, float]:
    """The official random shift / scale / rotation of a box, truncated normals in [-1, 1] times ``jitter``."""

    def draw(size: int | None = None) -> np.ndarray:
        from scipy.stats import truncnorm  # imported on use: scipy's import adds warnings filters

        return truncnorm.rvs(-1, 1, size=size, random_state=rng)

    if rng.random() < SHIFT_PROB:
        center = center + draw(2).astype(np.float32) * jitter.shift_factor * scale
    scale = scale * np.float32(1 + draw() * jitter.scale_factor)
    degrees = float(draw() * jitter.rotate_factor) if rng.random() < ROTATE_PROB else 0.0
    return center.astype(np.float32), scale.astype(np.float32), degrees


def flip_horizontally(image: np.ndarray, keypoints: np.ndarray, visible: np.ndarray, flip_indices: tuple[int, ...]):
    """Mirror image and keypoints (x' = W - 1 - x) and swap left/right keypoints."""
    flipped = keypoints.copy()
    flipped[:, 0] = image.shape[1] - 1 - flipped[:, 0]
    order = list(flip_indices)
    return image[:, ::-1].copy(), flipped[order], visible[order]
