"""Packaged label metadata: the facts of the official 308-keypoint set and 29-class table."""

from __future__ import annotations

import numpy as np
from sapiens2.processing import keypoint_metadata, segmentation_metadata


def test_keypoint_metadata_facts() -> None:
    meta = keypoint_metadata()
    assert len(meta.names) == 308 and meta.names[0] == "nose" and meta.names[69] == "neck"
    assert meta.names[41] == "right_wrist" and meta.names[62] == "left_wrist"
    flip = np.array(meta.flip_indices)
    assert np.array_equal(flip[flip], np.arange(308))
    assert (flip == np.arange(308)).sum() == 16  # self-symmetric points
    assert (flip != np.arange(308)).sum() == 2 * 146  # left/right pairs
    assert meta.skeleton_links.shape == (65, 2) and meta.skeleton_links.max() < 63
    assert meta.link_colors_rgb.shape == (65, 3) and meta.keypoint_colors_rgb.shape == (308, 3)
    assert meta.link_colors_rgb[0].tolist() == [0, 255, 0]  # left leg green
    assert len({tuple(c) for c in meta.keypoint_colors_rgb.tolist()}) == 15


def test_segmentation_metadata_facts() -> None:
    meta = segmentation_metadata()
    assert len(meta.names) == 29 and meta.names[0] == "Background" and meta.names[28] == "Tongue"
    assert meta.palette_rgb.shape == (29, 3) and meta.palette_rgb.dtype == np.uint8
    assert meta.palette_rgb[0].tolist() == [50, 50, 50] and meta.palette_rgb[15].tolist() == [255, 0, 0]
    assert meta.flip_pairs == ((5, 14), (6, 15), (7, 16), (8, 17), (9, 18), (10, 19), (11, 20), (12, 21))


def test_metadata_is_cached_and_read_only() -> None:
    assert keypoint_metadata() is keypoint_metadata()
    assert segmentation_metadata() is segmentation_metadata()
    assert not segmentation_metadata().palette_rgb.flags.writeable
