"""Segmentation background replacement (the official RandomBackground): the labelled foreground
pasted onto a random picture, its colours first moved toward the picture's (Reinhard transfer), so
that the model can find people by neither their usual backdrop nor a colour mismatch at the seam.
"""

from __future__ import annotations

import cv2
import numpy as np

from .background_swap import BackgroundSwap

SEG_BACKGROUND_PROB = 0.8  # official; the pose swap's data.background_prob is not official


def reinhard_transfer(image: np.ndarray, region: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``image`` with the per-channel L*a*b* mean and std of its ``region`` pixels moved to those of
    ``reference`` (Reinhard et al., 2001: one shift and gain per channel, in OpenCV's 8-bit Lab)."""
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    target = cv2.cvtColor(reference, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    source = lab[region]
    gain = target.std(0) / np.maximum(source.std(0), 1e-6)
    moved = (lab - source.mean(0)) * gain + target.mean(0)
    return cv2.cvtColor(np.clip(np.round(moved), 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def paste_on_background(
    rng: np.random.Generator, image: np.ndarray, foreground: np.ndarray, backgrounds: BackgroundSwap
) -> np.ndarray:
    """``image`` with the pixels outside ``foreground`` (H x W bool) replaced by a random picture and
    the foreground colour-matched to it; unchanged when there is no foreground or the picture is unreadable."""
    if not foreground.any():
        return image
    picture = backgrounds.picture(rng, image.shape[:2])
    if picture is None:
        return image
    return np.where(foreground[..., None], reinhard_transfer(image, foreground, picture), picture)
