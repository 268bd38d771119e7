"""Label metadata shipped with the package: the 308 keypoints and the 29 body-part classes.

Other keypoint sets (a checkpoint trained on another dataset) use the same ``KeypointMetadata``; see
``keypoint_sets``.

Read once from ``sapiens2/data/*.json`` (the facts of the official keypoint config and class table)
and cached; colours are RGB as published, converted to BGR only where OpenCV draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np


@dataclass(frozen=True, eq=False)
class KeypointMetadata:
    """A keypoint set (the packaged 308, or a model's own): names in model channel order, flip pairs, skeleton and colours (RGB)."""

    names: tuple[str, ...]
    flip_indices: tuple[int, ...]
    keypoint_colors_rgb: np.ndarray  # (K, 3) uint8
    skeleton_links: np.ndarray  # (L, 2) int64 keypoint indices
    link_colors_rgb: np.ndarray  # (L, 3) uint8


@dataclass(frozen=True, eq=False)
class SegmentationMetadata:
    """The 29 body-part classes: names by label id, palette (RGB) and left/right swap pairs."""

    names: tuple[str, ...]
    palette_rgb: np.ndarray  # (C, 3) uint8
    flip_pairs: tuple[tuple[int, int], ...]


def _read_json(name: str) -> dict:
    return json.loads(resources.files("sapiens2").joinpath("data", name).read_text(encoding="utf-8"))


def read_only(array: np.ndarray) -> np.ndarray:
    """``array``, made read-only: metadata is shared by every caller."""
    array.setflags(write=False)
    return array


@lru_cache(maxsize=1)
def keypoint_metadata() -> KeypointMetadata:
    """The packaged 308-keypoint metadata (``keypoints308.json``)."""
    data = _read_json("keypoints308.json")
    return KeypointMetadata(
        names=tuple(data["names"]),
        flip_indices=tuple(int(i) for i in data["flip_indices"]),
        keypoint_colors_rgb=read_only(np.asarray(data["keypoint_colors_rgb"], dtype=np.uint8)),
        skeleton_links=read_only(np.asarray(data["skeleton_links"], dtype=np.int64)),
        link_colors_rgb=read_only(np.asarray(data["skeleton_link_colors_rgb"], dtype=np.uint8)),
    )


@lru_cache(maxsize=1)
def segmentation_metadata() -> SegmentationMetadata:
    """The packaged 29-class body-part metadata (``seg29.json``)."""
    data = _read_json("seg29.json")
    return SegmentationMetadata(
        names=tuple(data["names"]),
        palette_rgb=read_only(np.asarray(data["colors_rgb"], dtype=np.uint8)),
        flip_pairs=tuple((int(a), int(b)) for a, b in data["flip_pairs"]),
    )
