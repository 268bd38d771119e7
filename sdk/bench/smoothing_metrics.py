"""Jitter and lag of keypoint trajectories: the two numbers a smoothing filter trades against each other.

``jitter``: RMS of the second difference x[t+1] - 2 x[t] + x[t-1] over consecutive frames, in
person heights: zero for any constant-velocity motion, so it measures shake, not movement.
``lag_frames``: the delay (fractional frames, linear interpolation) that best aligns a trajectory
with a reference (the truth, or the raw trajectory on footage with no truth).
"""

from __future__ import annotations

import numpy as np

MAX_LAG_FRAMES = 6.0
LAG_STEP = 0.05


def consecutive_runs(frames: np.ndarray, min_length: int = 3) -> list[slice]:
    """Slices of ``frames`` (sorted indices) where the frame numbers follow one another without a gap."""
    frames = np.asarray(frames)
    breaks = np.nonzero(np.diff(frames) != 1)[0] + 1
    edges = [0, *breaks.tolist(), len(frames)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b - a >= min_length]


def jitter(points: np.ndarray, heights: np.ndarray, valid: np.ndarray | None = None) -> float:
    """RMS second difference of ``points`` (T, K, 2) over consecutive frames, divided by ``heights`` (T,).

    ``valid`` (T, K) masks keypoints out (a triple counts only when all three are valid).
    """
    points = np.asarray(points, dtype=np.float64)
    second = points[2:] - 2 * points[1:-1] + points[:-2]
    second = second / np.asarray(heights, dtype=np.float64)[1:-1, None, None]
    mask = np.ones(second.shape[:2], bool) if valid is None else valid[2:] & valid[1:-1] & valid[:-2]
    values = second[mask]
    return float(np.sqrt(np.mean(np.sum(values**2, axis=-1)))) if values.size else float("nan")


def shifted(reference: np.ndarray, delay: float) -> np.ndarray:
    """``reference`` (T, ...) delayed by ``delay`` frames (linear interpolation; the first frames repeat)."""
    positions = np.clip(np.arange(len(reference)) - delay, 0, len(reference) - 1)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, len(reference) - 1)
    weight = (positions - low).reshape(-1, *([1] * (reference.ndim - 1)))
    return (1 - weight) * reference[low] + weight * reference[high]


def lag_frames(signal: np.ndarray, reference: np.ndarray, valid: np.ndarray | None = None) -> float:
    """The delay in [0, MAX_LAG_FRAMES] frames of ``signal`` behind ``reference`` (both (T, K, 2))."""
    signal, reference = np.asarray(signal, np.float64), np.asarray(reference, np.float64)
    skip = int(np.ceil(MAX_LAG_FRAMES))  # frames whose delayed reference would be clamped
    mask = np.ones(signal.shape[:2], bool) if valid is None else np.asarray(valid, bool)
    delays = np.arange(0.0, MAX_LAG_FRAMES + LAG_STEP / 2, LAG_STEP)
    errors = [np.mean(np.sum((signal - shifted(reference, d))[skip:][mask[skip:]] ** 2, axis=-1)) for d in delays]
    return float(delays[int(np.argmin(errors))])


def rms_error(points: np.ndarray, truth: np.ndarray, heights: np.ndarray) -> float:
    """RMS distance between ``points`` and ``truth`` (T, K, 2), in person heights."""
    distance = np.linalg.norm(np.asarray(points, np.float64) - truth, axis=-1) / np.asarray(heights)[:, None]
    return float(np.sqrt(np.mean(distance**2)))
