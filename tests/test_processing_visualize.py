"""Pictures of results: official colours, thresholds and backgrounds, checked pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest
from sapiens2.processing import (
    albedo_to_bgr,
    colorize_labels,
    depth_to_bgr,
    draw_pose,
    keypoint_metadata,
    normals_to_bgr,
    overlay_segmentation,
)


def test_colorize_and_overlay_by_hand() -> None:
    labels = np.array([[0, 15]])
    assert colorize_labels(labels).tolist() == [[[50, 50, 50], [255, 0, 0]]]
    image = np.array([[[10, 20, 31], [100, 100, 100]]], np.uint8)
    # 0.5 * image + 0.5 * palette (BGR): (10+50)/2, (20+50)/2, (31+50)/2 = 40.5 -> rounded; (100+0)/2, .., (100+255)/2
    overlay = overlay_segmentation(image, labels)
    assert overlay[0, 1].tolist() == [50, 50, 178] and overlay[0, 0, :2].tolist() == [30, 35]
    with pytest.raises(ValueError, match="labels must be in"):
        colorize_labels(np.array([[29]]))


def test_normals_colours_by_hand() -> None:
    normals = np.array([[[0, 0, 1], [1, 0, 0], [0, -1, 0]]], np.float32)
    # RGB = (n + 1) / 2 * 255 truncated; written BGR.
    assert normals_to_bgr(normals).tolist() == [[[255, 127, 127], [127, 127, 255], [127, 0, 127]]]
    background = np.full((1, 3, 3), 9, np.uint8)
    masked = normals_to_bgr(normals, np.array([[True, False, True]]), background)
    assert masked[0, 1].tolist() == [9, 9, 9] and masked[0, 0].tolist() == [255, 127, 127]
    assert normals_to_bgr(normals, np.array([[True, False, True]]))[0, 1].tolist() == [0, 0, 0]


def test_depth_turbo_near_is_warm_and_background_grey() -> None:
    depth = np.array([[1.0, 2.0, 4.0, 8.0, np.nan, -1.0]], np.float32)
    mask = np.array([[True, True, True, True, True, False]])
    picture = depth_to_bgr(depth, mask)
    red, blue = picture[0, :4, 2].astype(int), picture[0, :4, 0].astype(int)
    assert red[0] > red[3] and blue[3] > blue[0], "near pixels red, far pixels blue"
    assert picture[0, 4].tolist() == [100, 100, 100] and picture[0, 5].tolist() == [100, 100, 100]
    assert (depth_to_bgr(np.zeros((2, 2), np.float32)) == 100).all()


def test_albedo_by_hand() -> None:
    albedo = np.array([[[1.0, 0.5, -0.2], [2.0, 2.0, 2.0]]], np.float32)
    assert albedo_to_bgr(albedo).tolist() == [[[0, 127, 255], [255, 255, 255]]]
    assert albedo_to_bgr(albedo, np.array([[True, False]]))[0, 1].tolist() == [100, 100, 100]


def test_draw_pose_uses_official_colours_and_threshold() -> None:
    meta = keypoint_metadata()
    image = np.zeros((60, 80, 3), np.uint8)
    keypoints = np.zeros((1, 308, 2), np.float32)
    keypoints[0, 0] = (20, 30)  # nose
    keypoints[0, 5] = (50, 30)  # left shoulder
    scores = np.zeros((1, 308), np.float32)
    scores[0, 0] = 0.9
    scores[0, 5] = 0.29
    drawn = draw_pose(image, keypoints, scores)
    assert drawn[30, 20].tolist() == meta.keypoint_colors_rgb[0][::-1].tolist()
    assert drawn[30, 50].tolist() == [0, 0, 0], "below the 0.3 threshold"
    assert image.sum() == 0, "the input is not modified"
    assert (
        draw_pose(image, keypoints, scores, threshold=0.2)[30, 50].tolist()
        == meta.keypoint_colors_rgb[5][::-1].tolist()
    )
    # A link is drawn only when both ends pass: link (0, 1) nose-left_eye.
    scores[0, 1] = 0.9
    keypoints[0, 1] = (20, 50)
    link = int(np.nonzero((meta.skeleton_links == [0, 1]).all(axis=1))[0][0])
    assert (
        draw_pose(image, keypoints, scores, thickness=3)[40, 20].tolist() == meta.link_colors_rgb[link][::-1].tolist()
    )
    scores[0, 1] = 0.1
    assert draw_pose(image, keypoints, scores, thickness=3)[40, 20].tolist() == [0, 0, 0]
