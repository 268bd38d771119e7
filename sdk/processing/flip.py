"""Horizontal-flip test-time augmentation for pose: flip the input, un-flip the heatmaps, average.

The official pose configs always do this at test time. No UDP half-pixel shift is applied.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def flip_image(image: np.ndarray) -> np.ndarray:
    """Mirror an HxWxC image, or an NxHxWxC batch of crops, left-right."""
    return np.ascontiguousarray(np.asarray(image)[..., ::-1, :])


def unflip_heatmaps(flipped_heatmaps: np.ndarray, flip_indices: Sequence[int]) -> np.ndarray:
    """Heatmaps (..., K, h, w) predicted on a mirrored input -> the unmirrored image's heatmaps.

    Mirrors along w and swaps left/right channels: channel k takes the mirrored channel flip_indices[k].
    """
    heatmaps = np.asarray(flipped_heatmaps)
    if heatmaps.shape[-3] != len(flip_indices):
        raise ValueError(f"{heatmaps.shape[-3]} heatmap channels but {len(flip_indices)} flip indices")
    return np.ascontiguousarray(heatmaps[..., list(flip_indices), :, ::-1])


def average_flip_heatmaps(
    heatmaps: np.ndarray, flipped_heatmaps: np.ndarray, flip_indices: Sequence[int]
) -> np.ndarray:
    """The flip-test heatmaps: mean of the plain prediction and the un-flipped mirrored prediction."""
    return (np.asarray(heatmaps) + unflip_heatmaps(flipped_heatmaps, flip_indices)) * 0.5
