"""Calibration data: sources, the task pre-processing it goes through, and the held-out split."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from fixture_paths import IMAGES
from sapiens2.errors import CompileError
from sapiens2.samples import packaged_data_dir
from sapiens2.processing import HogPersonDetector, crop_people, normalize, person_boxes, read_image, stretch_resize
from sapiens2.quantize.calibration import calibration_set, default_source, read_sources, split_held_out, spread_indices



def test_split_spreads_the_held_out_images_and_never_shares_one() -> None:
    names = [str(i) for i in range(22)]
    calibrate, held = split_held_out(names, 6)
    assert len(held) == 6 and len(calibrate) == 16 and not set(calibrate) & set(held)
    gaps = np.diff([int(name) for name in held])
    assert gaps.min() >= 3 and gaps.max() <= 4  # evenly spread over the whole list, not one end of it


def test_default_source_is_the_packaged_photos_and_video_frames() -> None:
    assert default_source() == packaged_data_dir() / "images"
    names = [image.name for image in read_sources(None, 30)]
    assert names[:2] == ["astronaut.png", "basketball1.png"] and len(names) == 22
    assert all(name.startswith("vtest_frame") and name.endswith(".jpg") for name in names[2:])


def test_a_folder_gives_its_photos_then_frames_spread_over_its_video() -> None:
    images = read_sources(IMAGES, 9)
    assert [image.name for image in images[:3]] == ["astronaut.png", "basketball1.png", "messi5.jpg"]
    frames = [int(image.name.split("#")[1]) for image in images[3:]]
    assert all(image.name.startswith("vtest.avi#") for image in images[3:]) and len(frames) == 6
    total = int(cv2.VideoCapture(str(IMAGES / "vtest.avi")).get(cv2.CAP_PROP_FRAME_COUNT))
    assert frames == sorted(frames) and frames[0] < total / 6 and frames[-1] > total * 5 / 6
    assert images[0].image.shape == read_image(IMAGES / "astronaut.png").shape


def test_seg_calibrates_on_stretched_images_and_holds_others_out() -> None:
    calibration = calibration_set("seg", (64, 48), ("logits",), None, size=5, held_out=3)
    assert calibration.source.startswith("default") and len(calibration.inputs) == 5
    held = [image.name for image in calibration.held_out]
    assert len(held) == 3 and not set(held) & set(calibration.images)
    first = read_image(default_source() / calibration.images[0])
    np.testing.assert_array_equal(calibration.inputs[0], normalize(stretch_resize(first, (48, 64))[None]))
    assert calibration.record() == {
        "source": calibration.source, "size": 5, "requested": 5, "images": list(calibration.images)
    }


def test_pose_calibrates_on_the_person_crops_of_the_detector() -> None:
    calibration = calibration_set("pose", (64, 48), ("heatmaps",), "NHWC", size=6, held_out=2)
    frame = next(image for image in read_sources(None, 8) if image.name == calibration.images[-1])
    crops, _ = crop_people(frame.image, person_boxes(frame.image, None, HogPersonDetector()), (48, 64))
    rgb = crops[..., ::-1]  # NHWC uint8 RGB: the in-graph pre-processing's input
    assert any(np.array_equal(x[0], crop) for x in calibration.inputs for crop in rgb)
    assert all(x.shape == (1, 64, 48, 3) and x.dtype == np.uint8 for x in calibration.inputs)
    assert all(1 <= len(image.prepared.inputs) <= 4 for image in calibration.held_out)


def test_a_folder_or_video_of_the_user_is_read(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for index in range(3):
        cv2.imwrite(str(tmp_path / f"p{index}.png"), rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
    writer = cv2.VideoWriter(str(tmp_path / "clip.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (30, 40))
    for _ in range(10):
        writer.write(rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
    writer.release()
    names = [image.name for image in read_sources(tmp_path, 6)]
    assert names[:3] == ["p0.png", "p1.png", "p2.png"] and len(names) == 6
    assert [image.name for image in read_sources(tmp_path / "clip.avi", 2)] == ["clip.avi#2", "clip.avi#7"]
    calibration = calibration_set("normal", (32, 32), ("normal",), None, source=tmp_path, size=4, held_out=2)
    assert calibration.source == str(tmp_path) and len(calibration.held_out) == 2


def test_unusable_sources_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CompileError, match="does not exist"):
        read_sources(tmp_path / "missing", 4)
    cv2.imwrite(str(tmp_path / "only.png"), np.zeros((20, 20, 3), np.uint8))
    with pytest.raises(CompileError, match="needs images not used for calibration"):
        calibration_set("seg", (32, 32), ("logits",), None, source=tmp_path / "only.png", size=4)


def test_fewer_crops_than_asked_are_each_used_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for index in range(5):
        cv2.imwrite(str(tmp_path / f"p{index}.png"), rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
    assert spread_indices(4, 16) == [0, 1, 2, 3]  # was crop 0 four times
    assert spread_indices(10, 4) == [0, 2, 5, 7]
    calibration = calibration_set("seg", (32, 32), ("logits",), None, source=tmp_path, size=16, held_out=1)
    distinct = {x.tobytes() for x in calibration.inputs}
    assert len(calibration.inputs) == len(distinct) == 4  # 5 images, 1 held out
    assert calibration.record()["size"] == 4 and calibration.record()["requested"] == 16
