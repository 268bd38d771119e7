"""The One-Euro filter (Casiez, Roussel and Vogel, CHI 2012) over arrays of coordinates.

A low-pass filter whose cut-off rises with speed: slow signals (a still subject's jitter) are
smoothed hard, fast ones (a moving subject) pass with little lag. It is driven by timestamps, not
frame counts, so the same parameters behave the same at 10, 30 or 60 frames/s and across dropped
frames. The mobile ports replay ``tests/golden/one_euro.json`` against this implementation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class OneEuroParams:
    """``min_cutoff`` (Hz): smoothing at rest; ``beta`` (Hz per unit/s of speed): how fast the cut-off rises
    with speed; ``d_cutoff`` (Hz): smoothing of the speed estimate itself."""

    min_cutoff: float = 1.0
    beta: float = 0.0
    d_cutoff: float = 1.0


def smoothing_factor(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
    """Exponential smoothing weight of a first-order low-pass at ``cutoff`` Hz over ``dt`` seconds."""
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff, dtype=np.float64))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Filters a fixed-shape float array sample by sample; parameters may be arrays broadcast against it.

    ``speed_scale`` divides the speed before it raises the cut-off, so ``beta`` can be given in units
    that do not depend on the image size (e.g. person heights per second; see ``smoothing.py``).
    A sample at a timestamp not after the previous one returns the previous output unchanged.
    """

    def __init__(
        self,
        min_cutoff: np.ndarray | float = 1.0,
        beta: np.ndarray | float = 0.0,
        d_cutoff: np.ndarray | float = 1.0,
    ) -> None:
        self.min_cutoff = np.asarray(min_cutoff, dtype=np.float64)
        self.beta = np.asarray(beta, dtype=np.float64)
        self.d_cutoff = np.asarray(d_cutoff, dtype=np.float64)
        if (self.min_cutoff <= 0).any() or (self.d_cutoff <= 0).any() or (self.beta < 0).any():
            raise ValueError("One-Euro cut-offs must be positive and beta non-negative")
        self.reset()

    def reset(self) -> None:
        """Forget the history: the next sample passes through unchanged."""
        self._value: np.ndarray | None = None
        self._speed: np.ndarray | None = None
        self._time = 0.0

    def __call__(self, value: np.ndarray, timestamp: float, speed_scale: float = 1.0) -> np.ndarray:
        """The filtered ``value`` at ``timestamp`` seconds (float64, same shape)."""
        value = np.asarray(value, dtype=np.float64)
        if self._value is None or self._speed is None:
            self._value, self._speed, self._time = value.copy(), np.zeros_like(value), timestamp
            return value.copy()
        dt = timestamp - self._time
        if dt <= 0:
            return self._value.copy()
        raw_speed = (value - self._value) / dt
        speed_weight = smoothing_factor(self.d_cutoff, dt)
        self._speed = speed_weight * raw_speed + (1.0 - speed_weight) * self._speed
        cutoff = self.min_cutoff + self.beta * np.abs(self._speed) / speed_scale
        weight = smoothing_factor(cutoff, dt)
        self._value = weight * value + (1.0 - weight) * self._value
        self._time = timestamp
        return self._value.copy()
