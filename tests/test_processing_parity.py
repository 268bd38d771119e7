"""Parity with the official Sapiens2 implementation: its fixtures and the shared sample data.

Reference numbers come from shared/fixtures/official (outputs of the official code) and the
sample images in shared/data; see shared/fixtures/official/README.md.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest
from fixture_paths import BACKBONE_CASES, OFFICIAL, DATA, IMAGES, ROOT
from safetensors.numpy import load_file
from sapiens2.processing import (
    HogPersonDetector,
    TopdownCrop,
    decode_udp_heatmaps,
    iter_video,
    normalize,
    person_boxes,
    read_image,
)

if not OFFICIAL.is_dir():
    pytest.skip(f"official fixtures not found at {OFFICIAL} (set SAPIENS2_TEST_ROOT)", allow_module_level=True)

TOPDOWN_CASES = ["messi5", "basketball1"]


def _topdown_case(name: str) -> tuple[dict, dict[str, np.ndarray], np.ndarray]:
    cases = json.loads((OFFICIAL / "processing" / "cases.json").read_text())
    case = cases[f"topdown_{name}"]
    image = read_image(ROOT / Path(case["image"]).relative_to("shared"))
    return case, load_file(OFFICIAL / "processing" / f"topdown_{name}.safetensors"), image


@pytest.mark.parametrize("case", BACKBONE_CASES)
def test_normalize_is_bit_identical_to_official(case: str) -> None:
    fixture = load_file(OFFICIAL / case / "preprocess.safetensors")
    images_nhwc = fixture["bgr_uint8"].transpose(0, 2, 3, 1)
    result = normalize(images_nhwc)
    assert result.dtype == np.float32
    assert np.array_equal(result, fixture["normalized"])


@pytest.mark.parametrize("name", TOPDOWN_CASES)
def test_center_and_scale_match_official(name: str) -> None:
    case, fixture, _ = _topdown_case(name)
    crop = TopdownCrop.from_box(fixture["bbox_xyxy"], tuple(case["input_size_wh"]), padding=case["padding"])
    np.testing.assert_array_equal(crop.center, fixture["bbox_center"])
    np.testing.assert_array_equal(crop.scale, fixture["bbox_scale"])


@pytest.mark.parametrize("name", TOPDOWN_CASES)
def test_affine_crop_is_pixel_identical_to_official(name: str) -> None:
    case, fixture, image = _topdown_case(name)
    crop = TopdownCrop.from_box(fixture["bbox_xyxy"], tuple(case["input_size_wh"]))
    pixels = crop.warp(image)
    assert pixels.shape == fixture["crop_bgr"].shape
    differing = np.count_nonzero(pixels != fixture["crop_bgr"])
    assert differing == 0, f"{differing} of {pixels.size} crop values differ from the official crop"


@pytest.mark.parametrize("name", TOPDOWN_CASES)
def test_points_in_crop_match_official(name: str) -> None:
    case, fixture, _ = _topdown_case(name)
    crop = TopdownCrop.from_box(fixture["bbox_xyxy"], tuple(case["input_size_wh"]))
    inside = (fixture["points_in_crop"] != 0).any(axis=1)
    assert inside.all(), "every fixture point lies inside its crop"
    np.testing.assert_allclose(crop.image_to_crop(fixture["points"]), fixture["points_in_crop"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(crop.crop_to_image(fixture["points_in_crop"]), fixture["points"], rtol=0, atol=1e-3)


@pytest.mark.parametrize("name", ["udp_decode_small", "udp_decode_full"])
def test_udp_decode_matches_official(name: str) -> None:
    case = json.loads((OFFICIAL / "processing" / "cases.json").read_text())[name]
    fixture = load_file(OFFICIAL / "processing" / f"{name}.safetensors")
    keypoints, scores = decode_udp_heatmaps(fixture["heatmaps"], tuple(case["input_size_wh"]), case["blur_kernel_size"])
    np.testing.assert_allclose(keypoints, fixture["keypoints"], rtol=0, atol=1e-3)
    np.testing.assert_array_equal(scores, fixture["scores"])
    # Measured: bit-identical (max error 0.0 px) with numpy 2 / OpenCV 5 on x86-64.
    assert np.abs(keypoints - fixture["keypoints"]).max() <= 1e-4


def test_packaged_label_metadata_equals_shared_copy() -> None:
    for name in ("keypoints308.json", "seg29.json"):
        packaged = json.loads(resources.files("sapiens2").joinpath("data", name).read_text(encoding="utf-8"))
        assert packaged == json.loads((DATA / name).read_text(encoding="utf-8"))


def test_read_sample_images() -> None:
    # Sizes from shared/data/README.md (W x H).
    assert read_image(IMAGES / "messi5.jpg").shape == (342, 548, 3)
    assert read_image(IMAGES / "basketball1.png").shape == (480, 640, 3)
    assert read_image(IMAGES / "astronaut.png").shape == (512, 512, 3)


def test_sample_video_frames_with_limit() -> None:
    frames = list(iter_video(IMAGES / "vtest.avi", max_frames=3))
    assert len(frames) == 3
    assert all(frame.shape == (576, 768, 3) and frame.dtype == np.uint8 for frame in frames)
    assert not np.array_equal(frames[0], frames[2]), "pedestrians move between frames"


@pytest.mark.skipif(
    not hasattr(cv2, "HOGDescriptor"), reason="this OpenCV build has no HOGDescriptor (OpenCV 5 without contrib)"
)
def test_hog_detector_finds_people_in_sample_images() -> None:
    detector = HogPersonDetector()
    for name in ("basketball1.png", "vtest.avi"):
        image = read_image(IMAGES / name) if name.endswith(".png") else next(iter_video(IMAGES / name))
        boxes = person_boxes(image, detector=detector)
        height, width = image.shape[:2]
        assert len(boxes) >= 1 and (boxes[:, 4] > 0.3).all()
        assert boxes[:, 4].tolist() == sorted(boxes[:, 4].tolist(), reverse=True)
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= width - 1).all() and (boxes[:, 3] <= height - 1).all()
        # A pedestrian box is taller than wide.
        assert ((boxes[:, 3] - boxes[:, 1]) > (boxes[:, 2] - boxes[:, 0])).all()
