"""The JSON options of a predict request, validated into one typed record (422 naming the problem)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import RequestError


class PredictOptions(BaseModel):
    """``boxes``: pose person boxes ``[x1, y1, x2, y2(, score)]`` in image pixels (default: the whole
    image); ``flip``: pose flip test; ``outputs``: which dense arrays to send (default: all);
    ``dense_dtype``: float16 (compact) or float32 (exact) for float maps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    boxes: list[list[float]] | None = None
    flip: bool = False
    outputs: list[str] | None = None
    dense_dtype: Literal["float16", "float32"] = "float16"

    @field_validator("boxes")
    @classmethod
    def _boxes_are_boxes(cls, boxes: list[list[float]] | None) -> list[list[float]] | None:
        for index, box in enumerate(boxes or []):
            if len(box) not in (4, 5):
                raise ValueError(f"box {index} has {len(box)} numbers, expected [x1, y1, x2, y2] or [x1, y1, x2, y2, score]")
            if not all(math.isfinite(value) for value in box):
                raise ValueError(f"box {index} holds a non-finite number")
            if box[2] <= box[0] or box[3] <= box[1]:
                raise ValueError(f"box {index} {box[:4]} is empty: x2 must exceed x1 and y2 exceed y1")
        return boxes

    def boxes_array(self) -> np.ndarray | None:
        """The boxes as (N, 4|5) float32, or None."""
        if self.boxes is None:
            return None
        width = max((len(box) for box in self.boxes), default=4)
        return np.array([box + [1.0] * (width - len(box)) for box in self.boxes], dtype=np.float32).reshape(-1, width)


def parse_options(text: str | bytes | None) -> PredictOptions:
    """Options from a JSON object (empty: the defaults); 422 with pydantic's reasons otherwise."""
    if not text:
        return PredictOptions()
    try:
        return PredictOptions.model_validate_json(text)
    except ValidationError as error:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in error.errors())
        raise RequestError(422, f"bad options: {reasons}") from error
