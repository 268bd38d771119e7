"""The official Pack filters of the dense tasks: which training samples are dropped (and redrawn).

Each check looks at a sample at the input size, after augmentation, and returns None to keep it or
why it is dropped, in the words the error after too many drops in a row repeats.
"""

from __future__ import annotations

import numpy as np

MIN_VALID_PIXELS = 16
MAX_COVERAGE = 0.96  # a person on a background never fills the whole input
MIN_CANONICAL_DEPTH = 0.04
MIN_ALBEDO_STD = 0.02  # albedo in [0, 1]


def mask_rejection(mask: np.ndarray) -> str | None:
    """Fewer than 16 valid pixels, or over 96 % of the pixels valid."""
    valid = int(np.count_nonzero(mask))
    if valid < MIN_VALID_PIXELS:
        return f"had under {MIN_VALID_PIXELS} valid pixels: check that the targets are not all zero or non-finite"
    if valid > MAX_COVERAGE * mask.size:
        return (
            f"had over {MAX_COVERAGE:.0%} of pixels valid: the filter expects a person on a background "
            "(background pixels all zero or non-finite in the targets)"
        )
    return None


def depth_rejection(canonical_depth: np.ndarray, mask: np.ndarray) -> str | None:
    """A valid pixel nearer than 0.04 in canonical units (Z * 768 / fx of the input)."""
    if canonical_depth[mask > 0].min() >= MIN_CANONICAL_DEPTH:
        return None
    return f"had a canonical depth (Z * 768 / fx) under {MIN_CANONICAL_DEPTH}: check that the targets are in metres"


def flat_albedo_rejection(albedo: np.ndarray, mask: np.ndarray) -> str | None:
    """Every channel of the 3 x H x W ``albedo`` with a std under 0.02 over the valid pixels: one flat colour."""
    if (albedo[:, mask > 0].std(axis=1) >= MIN_ALBEDO_STD).any():
        return None
    return f"had one flat colour (every channel's std under {MIN_ALBEDO_STD} inside the mask): check the albedo targets"
