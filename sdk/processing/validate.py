"""Checks on what users hand the processing functions: person boxes and model outputs.

Nonsense is refused with an ``InputError`` that says what is wrong, instead of flowing on into a
crop of nothing, a NaN keypoint or a crash in some later step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError, ModelOutputError

BOX_FORM = "[x1, y1, x2, y2(, score)]"
# A box this many times larger than the image's longer side is no person in it (e.g. 1e30 from a bug).
MAX_BOX_TO_IMAGE = 16.0


def validate_boxes(boxes: Any, image_shape: tuple[int, ...] | None = None, where: str = "boxes") -> np.ndarray:
    """``boxes`` as an (N, 4|5) float32 array, or an ``InputError`` naming the first bad box.

    Refused: anything not numeric of that shape, NaN/inf, x2 <= x1 or y2 <= y1, a negative score,
    and, when ``image_shape`` is given, a box entirely outside the image or absurdly larger than it.
    An empty list is accepted and gives (0, 4): the caller decides what no box means.
    """
    try:
        array = np.asarray(boxes, dtype=np.float32)
    except (TypeError, ValueError, OverflowError) as error:
        raise InputError(f"{where} is not a list of {BOX_FORM} boxes ({error})") from None
    if array.size == 0:
        return np.zeros((0, 4), np.float32)
    if array.ndim == 1 and array.shape[0] in (4, 5):
        array = array[None]
    if array.ndim != 2 or array.shape[1] not in (4, 5):
        raise InputError(f"{where} must be a list of {BOX_FORM} boxes, got shape {array.shape}")
    for index, box in enumerate(array):
        problem = _box_problem(box, image_shape)
        if problem:
            raise InputError(f"{where}: box {index} {box.tolist()} {problem}")
    return array


def _box_problem(box: np.ndarray, image_shape: tuple[int, ...] | None) -> str | None:
    x1, y1, x2, y2 = box[:4]
    if not np.isfinite(box).all():
        return "has a non-finite number (NaN or inf)"
    if x2 <= x1 or y2 <= y1:
        return "has x2 <= x1 or y2 <= y1 (boxes are x1, y1, x2, y2 with x2 > x1 and y2 > y1)"
    if len(box) == 5 and box[4] < 0:
        return "has a negative score"
    if image_shape is None:
        return None
    height, width = image_shape[:2]
    if x2 < 0 or y2 < 0 or x1 > width - 1 or y1 > height - 1:
        return f"lies entirely outside the {width}x{height} image"
    if max(x2 - x1, y2 - y1) > MAX_BOX_TO_IMAGE * max(width, height):
        return f"is more than {MAX_BOX_TO_IMAGE:g} times larger than the {width}x{height} image"
    return None


def require_finite(outputs: dict[str, np.ndarray]) -> None:
    """Refuse model outputs holding NaN or inf (a broken checkpoint, an fp16 overflow), naming the output."""
    for name, value in outputs.items():
        value = np.asarray(value)
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            bad = int(value.size - np.isfinite(value).sum())
            raise ModelOutputError(
                f"the model produced {bad} non-finite value(s) (NaN/inf) of {value.size} in its {name!r} output: "
                "the weights may be broken (a corrupt or mis-converted checkpoint) or the precision overflowed; "
                "check the checkpoint, or try precision fp32"
            )
