"""Top-down geometry (box -> centre/scale -> UDP crop and back) and person boxes (NMS, detectors)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from sapiens2.processing import (
    PersonDetector,
    TopdownCrop,
    box_to_center_scale,
    crop_people,
    filter_boxes,
    fix_aspect_ratio,
    nms,
    person_boxes,
    udp_warp_matrix,
)
from sapiens2.processing.detection import HogPersonDetector


def test_center_scale_and_aspect_fix_by_hand() -> None:
    center, scale = box_to_center_scale(np.array([10, 20, 50, 100]))
    assert center.tolist() == [30.0, 60.0] and scale.tolist() == [50.0, 100.0]  # 40x80 box x 1.25
    # Tall box: the width grows to 0.75 * height.
    assert fix_aspect_ratio(scale, 0.75).tolist() == [75.0, 100.0]
    # Wide box: the height grows to width / 0.75.
    np.testing.assert_allclose(fix_aspect_ratio(np.array([125.0, 12.5]), 0.75), [125.0, 166.66667], rtol=1e-6)


def test_warp_matrix_maps_padded_box_edges_onto_crop_edges() -> None:
    center, scale, size = np.array([30.0, 60.0]), np.array([75.0, 100.0]), (768, 1024)
    matrix = udp_warp_matrix(center, scale, size).astype(np.float64)
    corners = np.array([[30 - 37.5, 60 - 50, 1], [30 + 37.5, 60 + 50, 1]])
    np.testing.assert_allclose(corners @ matrix.T, [[0, 0], [767, 1023]], atol=1e-3)
    assert matrix[0, 1] == 0 and matrix[1, 0] == 0


@pytest.mark.parametrize(
    "box, input_size",
    [((190, 20, 420, 335), (768, 1024)), ((3.5, 7.25, 40.0, 33.0), (192, 256)), ((0, 0, 639, 479), (768, 1024))],
)
def test_crop_mapping_round_trips_within_a_hundredth_of_a_pixel(box, input_size) -> None:
    crop = TopdownCrop.from_box(np.array(box, dtype=np.float32), input_size)
    points = np.random.default_rng(0).uniform(-100, 1100, size=(200, 2))
    assert np.abs(crop.crop_to_image(crop.image_to_crop(points)) - points).max() < 0.01
    assert np.abs(crop.image_to_crop(crop.crop_to_image(points)) - points).max() < 0.01


def test_decoded_keypoints_map_to_box_edges() -> None:
    crop = TopdownCrop.from_box(np.array([60, 40, 330, 470], dtype=np.float32), (768, 1024))
    # Official: x_img = k / input_size * scale + center - scale / 2, so 0 and input_size hit the box edges.
    np.testing.assert_allclose(
        crop.keypoints_to_image(np.array([[0, 0], [768, 1024]])), [[-6.5625, -13.75], [396.5625, 523.75]], atol=1e-4
    )


def test_codec_frame_and_crop_frame_agree_through_udp() -> None:
    # A heatmap point h (heatmap 192x256) decodes to h * 768/191 but sits at crop pixel h * 767/191.
    crop = TopdownCrop.from_box(np.array([60, 40, 330, 470], dtype=np.float32), (768, 1024))
    heatmap_points = np.array([[0.0, 0.0], [95.5, 127.5], [191.0, 255.0], [12.3, 200.7]])
    via_codec = crop.keypoints_to_image(heatmap_points * [768 / 191, 1024 / 255])
    via_crop = crop.crop_to_image(heatmap_points * [767 / 191, 1023 / 255])
    np.testing.assert_allclose(via_codec, via_crop, atol=1e-3)


def test_warp_interpolation_follows_scale() -> None:
    image = np.random.default_rng(1).integers(0, 256, size=(60, 80, 3), dtype=np.uint8)
    enlarging = TopdownCrop.from_box(np.array([20, 10, 40, 40], dtype=np.float32), (96, 128))
    expected = cv2.warpAffine(
        image, enlarging.matrix, (96, 128), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    assert np.array_equal(enlarging.warp(image), expected)
    shrinking = TopdownCrop.from_box(np.array([0, 0, 79, 59], dtype=np.float32), (24, 32))
    expected = cv2.warpAffine(
        image, shrinking.matrix, (24, 32), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_CONSTANT, borderValue=0
    )
    assert np.array_equal(shrinking.warp(image), expected)
    # Where the padded box stays inside the image the crop takes its pixels; outside it is black.
    assert (enlarging.warp(np.full_like(image, 255))[0, 0] == 255).all()
    whole = TopdownCrop.from_box(np.array([0, 0, 79, 59], dtype=np.float32), (48, 64))
    assert (whole.warp(np.full_like(image, 255))[0, 0] == 0).all()


def test_crop_people_batches_crops() -> None:
    image = np.zeros((50, 60, 3), np.uint8)
    crops, geometry = crop_people(image, np.array([[0, 0, 10, 20, 0.9], [5, 5, 30, 40, 0.8]]), (12, 16))
    assert crops.shape == (2, 16, 12, 3) and len(geometry) == 2
    empty, none = crop_people(image, np.zeros((0, 5)), (12, 16))
    assert empty.shape == (0, 16, 12, 3) and none == []


def test_nms_by_hand() -> None:
    boxes = np.array(
        [
            [0, 0, 9, 9, 0.9],
            [1, 1, 10, 10, 0.8],  # IoU 81/119 = 0.68 with the first
            [20, 20, 29, 29, 0.7],  # disjoint: kept
            [0, 5, 9, 14, 0.95],  # best score; IoU 50/150 = 0.33 with the first
        ]
    )
    assert nms(boxes, 0.3).tolist() == [3, 2]  # 0.33 > 0.3 drops box 0 too; box 1 has IoU 54/146 with box 3
    assert nms(boxes, 0.5).tolist() == [3, 0, 2]
    assert nms(np.zeros((0, 5))).tolist() == []


def test_filter_boxes_threshold_then_nms() -> None:
    boxes = np.array([[0, 0, 9, 9, 0.9], [1, 1, 10, 10, 0.8], [20, 20, 29, 29, 0.3], [40, 40, 49, 49, 0.31]])
    kept = filter_boxes(boxes)
    assert kept[:, 4].tolist() == pytest.approx([0.9, 0.31])  # 0.3 is not > 0.3


def test_person_boxes_sources() -> None:
    image = np.zeros((30, 40, 3), np.uint8)
    whole = [[0, 0, 39, 29, 1]]
    assert person_boxes(image).tolist() == whole
    assert person_boxes(image, boxes=np.array([[1, 2, 3, 4]])).tolist() == [[1, 2, 3, 4, 1]]
    assert person_boxes(image, boxes=[]).shape == (0, 5)  # an explicitly empty list: no people, not the whole image

    def detector(image_bgr: np.ndarray) -> np.ndarray:
        return np.array([[5, 5, 20, 25, 0.2], [6, 6, 21, 26, 0.8], [5, 5, 20, 25, 0.7]])

    assert isinstance(detector, PersonDetector)
    np.testing.assert_allclose(person_boxes(image, detector=detector), [[6, 6, 21, 26, 0.8]], rtol=1e-6)
    assert person_boxes(image, detector=lambda img: np.zeros((0, 5))).tolist() == whole


def test_hog_detector_explains_missing_opencv_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(cv2, "HOGDescriptor", raising=False)
    with pytest.raises(RuntimeError, match="opencv-contrib-python-headless"):
        HogPersonDetector()
