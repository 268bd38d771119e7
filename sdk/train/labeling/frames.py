"""The frames a teacher labels: every N-th frame of a video (or an image), downscaled, saved as JPEG.

Both teachers take frames through this one module, so a MediaPipe dataset and a Sapiens2 dataset of
the same footage name and size their frames alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
JPEG_QUALITY = 92


def frame_prefix(source: Path) -> str:
    """Frame names keep the parent folders, so cam01.mp4 of two trials do not collide."""
    return f"{source.parent.parent.name}_{source.parent.name}_".replace(" ", "_") if source.parent.name else ""


def frames(source: Path, every: int, max_side: int) -> Iterator[tuple[str, np.ndarray]]:
    """(name, BGR frame) of an image, or of every ``every``-th frame of a video, downscaled to ``max_side``."""
    prefix, stem = frame_prefix(source), source.stem
    if source.suffix.lower() in IMAGE_SUFFIXES:
        found: Iterator[tuple[str, np.ndarray | None]] = iter([(f"{prefix}{stem}", cv2.imread(str(source), cv2.IMREAD_COLOR))])
    else:
        found = _video_frames(source, every, f"{prefix}{stem}")
    for name, frame in found:
        if frame is None:
            continue
        scale = min(1.0, max_side / max(frame.shape[:2]))
        if scale < 1.0:
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        yield name, frame


def save_frame(out_dir: Path, name: str, frame: np.ndarray) -> str:
    """Write ``frames/<name>.jpg`` under ``out_dir``; returns the dataset-relative file name."""
    file_name = f"frames/{name}.jpg"
    cv2.imwrite(str(out_dir / file_name), frame, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return file_name


def _video_frames(source: Path, every: int, name: str) -> Iterator[tuple[str, np.ndarray]]:
    capture = cv2.VideoCapture(str(source))
    index = 0
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index % every == 0:
                yield f"{name}_{index:06d}", frame
            index += 1
    finally:
        capture.release()
