"""UDP heatmap decoding on synthetic heatmaps with known peaks, and the flip-test helpers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sapiens2.processing import (
    TopdownCrop,
    average_flip_heatmaps,
    decode_pose,
    decode_udp_heatmaps,
    flip_image,
    heatmap_maxima,
    keypoint_metadata,
    unflip_heatmaps,
)


def gaussian_heatmaps(
    peaks_xy: np.ndarray, size_hw: tuple[int, int], sigma: float, amplitude: float = 1.0
) -> np.ndarray:
    """The UDP training target: exp(-d^2 / 2 sigma^2) around each sub-pixel peak, float32 (K, h, w)."""
    yy, xx = np.mgrid[0 : size_hw[0], 0 : size_hw[1]].astype(np.float64)
    maps = [amplitude * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2)) for x, y in peaks_xy]
    return np.stack(maps).astype(np.float32)


@pytest.mark.parametrize("size_hw, sigma", [((64, 48), 2.0), ((256, 192), 6.0)])
def test_decode_recovers_subpixel_peaks(size_hw: tuple[int, int], sigma: float) -> None:
    rng = np.random.default_rng(0)
    height, width = size_hw
    # At least 7 px from the border: the 11x11 blur's zero padding bends maps closer to it.
    peaks = np.column_stack([rng.uniform(7, width - 8, 12), rng.uniform(7, height - 8, 12)])
    peaks[:3] = [[10.0, 10.0], [10.5, 20.25], [17.9, 30.1]]  # on, between and near pixel centres
    input_size = (width * 4, height * 4)
    keypoints, scores = decode_udp_heatmaps(gaussian_heatmaps(peaks, size_hw, sigma), input_size)
    in_heatmap_pixels = keypoints * [(width - 1) / input_size[0], (height - 1) / input_size[1]]
    assert np.abs(in_heatmap_pixels - peaks).max() < 0.05
    assert (scores > 0.9).all() and (scores <= 1.0).all()


def test_scores_are_raw_maxima_and_non_positive_maps_give_minus_one() -> None:
    heatmaps = gaussian_heatmaps(np.array([[5.0, 6.0], [3.0, 3.0]]), (16, 12), 2.0, amplitude=1.7)
    heatmaps[1] = -0.25
    heatmaps[1, 4, 7] = -0.1
    peaks, scores = heatmap_maxima(heatmaps)
    assert peaks.tolist() == [[5, 6], [-1, -1]]
    np.testing.assert_allclose(scores, [1.7, -0.1], rtol=1e-6)
    keypoints, _ = decode_udp_heatmaps(heatmaps, (48, 64))
    np.testing.assert_allclose(keypoints[1], [-1 * 48 / 11, -1 * 64 / 15], rtol=1e-6)


def test_all_zero_heatmaps_decode_quietly_to_minus_one() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keypoints, scores = decode_udp_heatmaps(np.zeros((2, 8, 6), np.float32), (24, 32))
    np.testing.assert_allclose(keypoints, [[-24 / 5, -32 / 7]] * 2, rtol=1e-6)
    assert scores.tolist() == [0.0, 0.0]


def test_argmax_takes_the_first_maximum_in_row_major_order() -> None:
    heatmaps = np.zeros((1, 5, 4), np.float32)
    heatmaps[0, 3, 1] = heatmaps[0, 1, 2] = 0.5
    assert heatmap_maxima(heatmaps)[0].tolist() == [[2, 1]]


def test_decode_pose_maps_to_image_pixels() -> None:
    size_hw, input_size = (64, 48), (192, 256)
    boxes = np.array([[60, 40, 330, 470], [10, 5, 80, 60]], dtype=np.float32)
    crops = [TopdownCrop.from_box(box, input_size) for box in boxes]
    peaks = np.array([[[12.25, 30.5], [40.0, 8.75]], [[23.5, 31.5], [5.2, 50.1]]])
    heatmaps = np.stack([gaussian_heatmaps(p, size_hw, 2.0) for p in peaks])
    keypoints, scores = decode_pose(heatmaps, crops)
    assert keypoints.shape == (2, 2, 2) and scores.shape == (2, 2)
    for crop, instance_peaks, instance_keypoints in zip(crops, peaks, keypoints):
        # The heatmap spans the padded box: h / (size - 1) * scale + centre - scale / 2.
        expected = instance_peaks / [47, 63] * crop.scale + crop.center - crop.scale / 2
        pixel_per_heatmap_pixel = crop.scale / [47, 63]
        assert (np.abs(instance_keypoints - expected) < 0.05 * pixel_per_heatmap_pixel).all()


def test_flip_image_mirrors_columns() -> None:
    image = np.arange(2 * 3 * 4 * 3, dtype=np.uint8).reshape(2, 3, 4, 3)
    flipped = flip_image(image)
    assert np.array_equal(flipped[1, 2, 0], image[1, 2, 3])
    assert np.array_equal(flip_image(image[0]), flipped[0])
    assert np.array_equal(flip_image(flipped), image)


def test_flip_indices_are_an_involution_and_unflip_restores_heatmaps() -> None:
    flip = np.array(keypoint_metadata().flip_indices)
    assert np.array_equal(flip[flip], np.arange(308))
    heatmaps = np.random.default_rng(3).random((2, 308, 8, 6)).astype(np.float32)
    # What an equivariant model predicts on the mirrored crop: mirrored maps in swapped channels.
    mirrored_prediction = heatmaps[:, flip, :, ::-1]
    assert np.array_equal(unflip_heatmaps(mirrored_prediction, flip), heatmaps)
    np.testing.assert_allclose(average_flip_heatmaps(heatmaps, mirrored_prediction, flip), heatmaps, rtol=1e-6)


def test_flip_test_pairs_left_and_right() -> None:
    names = keypoint_metadata().names
    flip = keypoint_metadata().flip_indices
    left_eye = names.index("left_eye")
    assert names[flip[left_eye]] == "right_eye"
    heatmaps = np.zeros((308, 4, 5), np.float32)
    mirrored_prediction = np.zeros_like(heatmaps)
    mirrored_prediction[flip[left_eye], 1, 0] = 1.0  # right-eye channel, left column of the mirror
    restored = unflip_heatmaps(mirrored_prediction, flip)
    assert restored[left_eye, 1, 4] == 1.0 and restored.sum() == 1.0
    with pytest.raises(ValueError, match="flip indices"):
        unflip_heatmaps(heatmaps[:10], flip)
