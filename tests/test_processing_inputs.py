"""Inputs: every accepted source becomes HxWx3 uint8 BGR; every unusable one raises InputError."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from sapiens2.processing import (
    InputError,
    image_from_array,
    image_from_pil,
    iter_camera,
    iter_video,
    load_image,
    read_image,
)

# Pure colours with known channel values: (R, G, B) = (200, 100, 50).
RGB = np.zeros((6, 8, 3), dtype=np.uint8)
RGB[:] = (200, 100, 50)


@pytest.fixture
def rotated_jpeg(tmp_path: Path) -> Path:
    """A 20x40 (HxW) JPEG whose left 10 columns are white, tagged EXIF orientation 6 (rotate 90 CW)."""
    pixels = np.zeros((20, 40, 3), dtype=np.uint8)
    pixels[:, :10] = 255
    image = Image.fromarray(pixels)
    exif = image.getexif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif.tobytes(), quality=95)
    return path


def test_read_image_applies_exif_orientation(rotated_jpeg: Path) -> None:
    image = read_image(rotated_jpeg)
    # Rotating 90 degrees clockwise makes the image 40 high, 20 wide, and the left strip the top rows.
    assert image.shape == (40, 20, 3)
    assert image[:8].mean() > 240 and image[12:].mean() < 15


def test_pil_image_applies_exif_orientation(rotated_jpeg: Path) -> None:
    with Image.open(rotated_jpeg) as pil_image:
        image = image_from_pil(pil_image)
    assert image.shape == (40, 20, 3)
    assert image[:8].mean() > 240


def test_read_grayscale_and_rgba_png_give_three_channel_bgr(tmp_path: Path) -> None:
    gray = np.arange(48, dtype=np.uint8).reshape(6, 8)
    Image.fromarray(gray).save(tmp_path / "gray.png")
    Image.fromarray(np.dstack([RGB, np.full((6, 8), 9, np.uint8)]), "RGBA").save(tmp_path / "rgba.png")
    from_gray = read_image(tmp_path / "gray.png")
    assert from_gray.shape == (6, 8, 3) and all(np.array_equal(from_gray[:, :, c], gray) for c in range(3))
    from_rgba = read_image(tmp_path / "rgba.png")
    assert from_rgba.shape == (6, 8, 3) and tuple(from_rgba[0, 0]) == (50, 100, 200)


def test_array_colour_orders() -> None:
    assert tuple(image_from_array(RGB, "rgb")[0, 0]) == (50, 100, 200)
    assert tuple(image_from_array(RGB, "bgr")[0, 0]) == (200, 100, 50)
    rgba = np.dstack([RGB, np.zeros((6, 8), np.uint8)])
    assert tuple(image_from_array(rgba, "rgb")[0, 0]) == (50, 100, 200)
    gray = np.full((6, 8, 1), 77, dtype=np.uint8)
    assert image_from_array(gray, "rgb").shape == (6, 8, 3) and (image_from_array(gray, "bgr") == 77).all()


def test_pil_modes() -> None:
    assert tuple(image_from_pil(Image.fromarray(RGB))[0, 0]) == (50, 100, 200)
    assert (image_from_pil(Image.new("L", (8, 6), 33)) == 33).all()
    palette_image = Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE)
    assert tuple(image_from_pil(palette_image)[0, 0]) == (50, 100, 200)


def test_load_image_dispatches(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "a.png"), RGB[:, :, ::-1])  # cv2 writes BGR, so the file holds RGB colours
    from_path = load_image(tmp_path / "a.png")
    assert np.array_equal(from_path, load_image(str(tmp_path / "a.png")))
    assert np.array_equal(from_path, load_image(RGB, color_order="rgb"))
    assert np.array_equal(from_path, load_image(Image.fromarray(RGB)))
    assert from_path.dtype == np.uint8 and from_path.flags.c_contiguous


def _assert_input_error(call, *fragments: str) -> None:
    with pytest.raises(InputError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value)


def test_bad_paths_raise_input_error_naming_the_input(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "junk.jpg").write_bytes(b"not an image at all")
    _assert_input_error(lambda: read_image(tmp_path / "missing.png"), "missing.png", "does not exist")
    _assert_input_error(lambda: read_image(tmp_path / "empty.png"), "empty.png", "empty")
    _assert_input_error(lambda: read_image(tmp_path / "junk.jpg"), "junk.jpg", "decoded")
    _assert_input_error(lambda: read_image(tmp_path), str(tmp_path))
    assert issubclass(InputError, ValueError)


def test_bad_arrays_raise_input_error() -> None:
    _assert_input_error(lambda: image_from_array(np.zeros((0, 5, 3), np.uint8), "rgb"), "empty")
    _assert_input_error(lambda: image_from_array(np.zeros((4, 5, 3), np.float32), "rgb"), "float32", "uint8")
    _assert_input_error(lambda: image_from_array(np.zeros((4, 5, 2), np.uint8), "rgb"), "(4, 5, 2)")
    _assert_input_error(lambda: image_from_array(RGB, "rgba"), "'rgba'")
    _assert_input_error(lambda: load_image(RGB), "color_order")
    _assert_input_error(lambda: load_image(42), "int")
    _assert_input_error(lambda: image_from_pil(Image.new("RGB", (0, 0))), "empty")


def test_video_frames_and_limits(tmp_path: Path) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (32, 24))
    for value in (0, 60, 120, 180, 240):
        writer.write(np.full((24, 32, 3), value, np.uint8))
    writer.release()
    frames = list(iter_video(path))
    assert len(frames) == 5 and frames[0].shape == (24, 32, 3)
    # MJPEG is lossy: grey levels survive within a few units.
    assert [round(float(frame.mean())) for frame in frames] == pytest.approx([0, 60, 120, 180, 240], abs=3)
    assert len(list(iter_video(path, max_frames=2))) == 2
    assert list(iter_video(path, max_frames=0)) == []


def test_unopenable_videos_and_cameras_raise_input_error(tmp_path: Path) -> None:
    (tmp_path / "fake.avi").write_text("hello")
    _assert_input_error(lambda: iter_video(tmp_path / "none.avi"), "none.avi")
    _assert_input_error(lambda: iter_video(tmp_path / "fake.avi"), "fake.avi", "could not be opened")
    _assert_input_error(lambda: iter_camera(97), "camera 97")
