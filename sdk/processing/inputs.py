"""Turn user inputs (paths, arrays, PIL images, videos, cameras) into HxWx3 uint8 BGR arrays.

BGR is the layout the official models were trained on (everything there is read with OpenCV), so
every entry point converts to it once, here, and the rest of the SDK never guesses a colour order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from PIL import Image, ImageOps

from ..errors import InputError

ColorOrder = Literal["rgb", "bgr"]
OPENCV_MAX_PIXELS = 1 << 30  # OpenCV's CV_IO_MAX_IMAGE_PIXELS default


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file as HxWx3 uint8 BGR, applying its EXIF orientation like a photo viewer does."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"image {str(path)!r} does not exist or is not a file")
    data = np.fromfile(path, dtype=np.uint8)  # np.fromfile + imdecode also handles non-ASCII paths
    if data.size == 0:
        raise InputError(f"image {str(path)!r} is an empty file")
    # IMREAD_COLOR applies EXIF orientation, expands grayscale to 3 channels and drops alpha.
    try:
        image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    except cv2.error:  # OpenCV raises (instead of returning None) for more pixels than it will allocate
        raise InputError(
            f"image {str(path)!r} has {_pixel_count(path)}, more than the {OPENCV_MAX_PIXELS} pixels OpenCV decodes: "
            "resize it (e.g. to 4K) first"
        ) from None
    if image is None or image.size == 0:
        raise InputError(f"image {str(path)!r} could not be decoded: is it a JPEG/PNG/BMP/WebP/TIFF image?")
    return image


def _pixel_count(path: Path) -> str:
    """The image's size from its header (PIL reads no pixels for it), for the too-large message."""
    try:
        with Image.open(path) as image:
            return f"{image.width}x{image.height} pixels"
    except Image.DecompressionBombError as error:  # PIL's own limit names the count
        found = re.search(r"\((\d+) pixels\)", str(error))
        return f"{found.group(1)} pixels" if found else "too many pixels"
    except OSError:
        return "too many pixels"


def image_from_array(array: np.ndarray, color_order: ColorOrder) -> np.ndarray:
    """Convert an HxW, HxWx1, HxWx3 or HxWx4 uint8 array in ``color_order`` to HxWx3 BGR (alpha dropped)."""
    if color_order not in ("rgb", "bgr"):
        raise InputError(f"color_order must be 'rgb' or 'bgr', got {color_order!r}")
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise InputError(
            f"image array has dtype {array.dtype}, expected uint8: "
            "for floats in [0, 1] pass (x * 255).round().clip(0, 255).astype(np.uint8)"
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise InputError(f"image array has shape {array.shape}, expected HxW, HxWx1, HxWx3 or HxWx4")
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise InputError(f"image array has shape {array.shape}: it is empty")
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2BGR)
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if color_order == "rgb":
        array = array[:, :, ::-1]
    return np.ascontiguousarray(array)


def image_from_pil(image: Image.Image) -> np.ndarray:
    """Convert a PIL image of any mode to HxWx3 uint8 BGR, applying its EXIF orientation."""
    if image.width == 0 or image.height == 0:
        raise InputError(f"PIL image has size {image.size}: it is empty")
    rgb = ImageOps.exif_transpose(image).convert("RGB")
    return image_from_array(np.asarray(rgb), "rgb")


def load_image(source: Any, color_order: ColorOrder | None = None) -> np.ndarray:
    """Load a path, numpy array (``color_order`` required) or PIL image as HxWx3 uint8 BGR."""
    if isinstance(source, (str, Path)):
        return read_image(source)
    if isinstance(source, np.ndarray):
        if color_order is None:
            raise InputError("a numpy image needs color_order='rgb' or 'bgr' (OpenCV arrays are 'bgr')")
        return image_from_array(source, color_order)
    if isinstance(source, Image.Image):
        return image_from_pil(source)
    raise InputError(f"cannot load an image from {type(source).__name__}: pass a path, a numpy array or a PIL image")


def iter_video(path: str | Path, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Open a video file now (InputError if it cannot be opened) and yield its frames as BGR arrays."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"video {str(path)!r} does not exist or is not a file")
    return _frames(cv2.VideoCapture(str(path)), f"video {str(path)!r}", max_frames)


def iter_camera(index: int = 0, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Open camera ``index`` now (InputError if it cannot be opened) and yield its frames as BGR arrays."""
    return _frames(cv2.VideoCapture(index), f"camera {index}", max_frames)


def _frames(capture: cv2.VideoCapture, name: str, max_frames: int | None) -> Iterator[np.ndarray]:
    if not capture.isOpened():
        capture.release()
        raise InputError(f"{name} could not be opened: check the path/index and that OpenCV has the codec")
    if max_frames is not None and max_frames < 0:
        capture.release()
        raise InputError(f"max_frames must be >= 0, got {max_frames}")
    return _read_frames(capture, max_frames)


def _read_frames(capture: cv2.VideoCapture, max_frames: int | None) -> Iterator[np.ndarray]:
    try:
        count = 0
        while max_frames is None or count < max_frames:
            ok, frame = capture.read()
            if not ok or frame is None:
                return
            count += 1
            yield frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    finally:
        capture.release()
