"""Uploaded bytes -> a BGR image, refusing what should not be decoded before decoding it.

The type is told by the file's magic bytes (not the client's Content-Type), and the pixel count by
the image header alone (Pillow reads it without decoding), so a decompression bomb (a small PNG
that inflates to gigapixels) is refused before a single row is inflated. Decoding itself is the SDK's
(OpenCV ``IMREAD_COLOR``: EXIF orientation, grey expanded, alpha dropped), so a served image equals
the same file read locally.
"""

from __future__ import annotations

import io
import warnings

import cv2
import numpy as np
from PIL import Image

from .errors import RequestError

SIGNATURES = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}


def image_format(data: bytes) -> str:
    """"JPEG" or "PNG" from the magic bytes; 415 for anything else."""
    for signature, name in SIGNATURES.items():
        if data.startswith(signature):
            return name
    raise RequestError(415, "the body is not a JPEG or PNG image (send the image file's bytes)")


def header_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the image header, without decoding pixels; 400 if the header is broken."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise RequestError(413, f"image refused before decoding: {error}") from error
    except Exception as error:  # Pillow raises many types for broken headers; all mean "undecodable"
        raise RequestError(400, f"the image header could not be read: {error}") from error


def decode_image(data: bytes, max_pixels: int) -> np.ndarray:
    """HxWx3 uint8 BGR from JPEG/PNG bytes, checked for type (415), size (413) and decodability (400)."""
    if not data:
        raise RequestError(400, "the request carries no image")
    kind = image_format(data)
    width, height = header_size(data)
    if width * height > max_pixels:
        raise RequestError(
            413, f"the {kind} is {width}x{height} = {width * height} pixels; this server accepts at most {max_pixels}"
        )
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise RequestError(400, f"the {kind} could not be decoded (truncated or corrupt file?)")
    return image
