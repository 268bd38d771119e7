"""Parsing of ``HxW`` sizes on the command line."""

from __future__ import annotations

import argparse

PATCH = 16


def parse_size(text: str) -> tuple[int, int]:
    """``"1024x768"`` -> (1024, 768) as (height, width); both positive multiples of the 16-pixel patch."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        height, width = (int(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like HxW, e.g. 1024x768, got {text!r}") from None
    if height < PATCH or width < PATCH or height % PATCH or width % PATCH:
        raise argparse.ArgumentTypeError(f"size {text} must be positive multiples of {PATCH} pixels, e.g. 1024x768")
    return height, width
