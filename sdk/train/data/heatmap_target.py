"""UDP Gaussian heatmap targets (the official codec's encoder), the inverse of ``processing.heatmaps``.

A keypoint at crop pixel p lands at p * (heatmap - 1) / (input - 1); its Gaussian (peak 1, sub-pixel
centre) fills the (2 * 3 sigma + 1)^2 patch around the rounded centre; a keypoint whose patch lies
fully outside the map gets weight 0.
"""

from __future__ import annotations

import numpy as np


def crop_to_heatmap(points: np.ndarray, input_size: tuple[int, int], heatmap_size: tuple[int, int]) -> np.ndarray:
    """Crop pixels (..., 2) -> heatmap pixels with the UDP scale (input - 1) / (heatmap - 1)."""
    factor = (np.asarray(heatmap_size, dtype=np.float32) - 1) / (np.asarray(input_size, dtype=np.float32) - 1)
    return np.asarray(points, dtype=np.float32) * factor


def udp_gaussian_targets(
    keypoints_hm: np.ndarray, visible: np.ndarray, heatmap_size: tuple[int, int], sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (K, h, w) float32 and weights (K,) for keypoints in heatmap pixels (K, 2)."""
    width, height = heatmap_size
    radius = 3 * sigma
    xs = np.arange(width, dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)
    heatmaps = np.zeros((len(keypoints_hm), height, width), dtype=np.float32)
    weights = visible.astype(np.float32).copy()
    for k, (x, y) in enumerate(keypoints_hm):
        if weights[k] < 0.5:
            continue
        mx, my = np.floor(x + 0.5), np.floor(y + 0.5)
        if mx + radius < 0 or my + radius < 0 or mx - radius >= width or my - radius >= height:
            weights[k] = 0
            continue
        gx = np.exp(-((xs - x) ** 2) / (2 * sigma**2)) * (np.abs(xs - mx) <= radius)
        gy = np.exp(-((ys - y) ** 2) / (2 * sigma**2)) * (np.abs(ys - my) <= radius)
        heatmaps[k] = gy[:, None] * gx[None, :]
    return heatmaps, weights
