"""The UDP heatmap codec's decoder: argmax + DARK-UDP sub-pixel refinement, as the official pose model.

Reproduces the official decode bit for bit (float32 heatmaps in, float32 keypoints out). The
refinement takes one Newton step on the log of a blurred heatmap around the integer peak.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .topdown import POSE_INPUT_SIZE, TopdownCrop

BLUR_KERNEL_SIZE = 11
_LOG_CLIP = (1e-3, 50.0)


def heatmap_maxima(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer peak (x, y) (K, 2) float32 and raw max (K,) of (K, h, w) heatmaps; (-1, -1) where max <= 0."""
    count, _, width = heatmaps.shape
    flat = heatmaps.reshape(count, -1)
    index = np.argmax(flat, axis=1)
    scores = flat[np.arange(count), index]
    peaks = np.stack([index % width, index // width], axis=1).astype(np.float32)
    peaks[scores <= 0] = -1
    return peaks, scores


def blur_heatmaps(heatmaps: np.ndarray, kernel_size: int = BLUR_KERNEL_SIZE) -> np.ndarray:
    """Gaussian-blur each map (zero padding, OpenCV's automatic sigma), rescaled to keep its original max."""
    border = (kernel_size - 1) // 2
    blurred = np.empty_like(heatmaps)
    for k, heatmap in enumerate(heatmaps):
        padded = cv2.copyMakeBorder(heatmap, border, border, border, border, cv2.BORDER_CONSTANT, value=0)
        smooth = cv2.GaussianBlur(padded, (kernel_size, kernel_size), 0)[border:-border, border:-border]
        # An all-zero map gives 0/0; its peak is (-1, -1) and never refined, so the NaN is harmless.
        with np.errstate(divide="ignore", invalid="ignore"):
            blurred[k] = smooth * (heatmap.max() / smooth.max())
    return blurred


def refine_dark_udp(peaks: np.ndarray, heatmaps: np.ndarray, kernel_size: int = BLUR_KERNEL_SIZE) -> np.ndarray:
    """One Newton step on log(blurred heatmap) from each integer peak: p - H^-1 g, finite differences.

    Peaks at (-1, -1) (no positive response) are left there rather than refined against the border.
    """
    log_maps = np.log(np.clip(blur_heatmaps(heatmaps, kernel_size), *_LOG_CLIP))
    f = np.pad(log_maps, ((0, 0), (1, 1), (1, 1)), mode="edge")
    valid = peaks[:, 0] >= 0
    k = np.nonzero(valid)[0]
    x = peaks[valid, 0].astype(np.int64) + 1
    y = peaks[valid, 1].astype(np.int64) + 1
    centre = f[k, y, x]
    right, left, down, up = f[k, y, x + 1], f[k, y, x - 1], f[k, y + 1, x], f[k, y - 1, x]
    gradient = np.stack([0.5 * (right - left), 0.5 * (down - up)], axis=-1)
    dxx = right - 2 * centre + left
    dyy = down - 2 * centre + up
    # Summed term by term in the official order so that float32 rounding matches.
    dxy = 0.5 * (f[k, y + 1, x + 1] - right - down + centre + centre - left - up + f[k, y - 1, x - 1])
    hessian = np.stack([np.stack([dxx, dxy], -1), np.stack([dxy, dyy], -1)], -2)
    # eps*I keeps flat peaks invertible; the official code inverts in float64.
    step = np.linalg.inv(hessian + np.finfo(np.float32).eps * np.eye(2)) @ gradient[..., None]
    refined = peaks.copy()
    refined[valid] = (peaks[valid] - step[..., 0]).astype(np.float32)
    return refined


def decode_udp_heatmaps(
    heatmaps: np.ndarray, input_size: tuple[int, int] = POSE_INPUT_SIZE, kernel_size: int = BLUR_KERNEL_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """One instance's heatmaps (K, h, w) -> keypoints (K, 2) in the codec's input frame and scores (K,).

    Scores are the raw heatmap maxima (no sigmoid; they can fall outside [0, 1]). Keypoints are
    heatmap coordinates times input_size / (heatmap_size - 1); ``TopdownCrop.keypoints_to_image``
    maps them to image pixels.
    """
    heatmaps = np.asarray(heatmaps, dtype=np.float32)
    peaks, scores = heatmap_maxima(heatmaps)
    refined = refine_dark_udp(peaks, heatmaps, kernel_size)
    height, width = heatmaps.shape[1:]
    # float64 then float32, as the official numpy arithmetic does.
    keypoints = refined / np.array([width - 1, height - 1]) * np.array(input_size)
    return keypoints.astype(np.float32), scores.astype(np.float32)


def decode_pose(heatmaps: np.ndarray, crops: Sequence[TopdownCrop]) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (N, K, h, w) of N person crops -> keypoints (N, K, 2) in image pixels and scores (N, K)."""
    heatmaps = np.asarray(heatmaps, dtype=np.float32)
    if heatmaps.ndim != 4 or len(heatmaps) != len(crops):
        raise ValueError(f"expected (N, K, h, w) heatmaps for {len(crops)} crops, got shape {heatmaps.shape}")
    keypoints = np.zeros(heatmaps.shape[:2] + (2,), dtype=np.float32)
    scores = np.zeros(heatmaps.shape[:2], dtype=np.float32)
    for i, crop in enumerate(crops):
        decoded, scores[i] = decode_udp_heatmaps(heatmaps[i], crop.input_size)
        keypoints[i] = crop.keypoints_to_image(decoded)
    return keypoints, scores
