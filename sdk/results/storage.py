"""Atomic file writes: a result file is either complete or absent, never half-written.

Each file is written to a temporary file in the same directory, flushed to disk, then moved over
the final name with ``os.replace`` (atomic on POSIX and Windows within one filesystem).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> Path:
    """Call ``write(handle)`` on a temporary file next to ``path``, then move it into place."""
    path = Path(path)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp creates 0600; results are ordinary files
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return path


def encode_png(image_bgr: np.ndarray) -> bytes:
    """A BGR uint8 image as PNG bytes."""
    ok, encoded = cv2.imencode(".png", image_bgr)
    if not ok:
        raise ValueError(f"could not encode an image of shape {image_bgr.shape} as PNG")
    return encoded.tobytes()


def encode_npy(array: np.ndarray) -> bytes:
    """``array`` in NumPy's .npy format (no pickles)."""
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def write_png(path: str | Path, image_bgr: np.ndarray) -> Path:
    """Write a BGR uint8 image as PNG, atomically."""
    encoded = encode_png(image_bgr)
    return atomic_write(path, lambda handle: handle.write(encoded))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8, atomically."""
    return atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def write_npy(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` in NumPy's .npy format, atomically."""
    encoded = encode_npy(array)
    return atomic_write(path, lambda handle: handle.write(encoded))
