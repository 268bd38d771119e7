"""Body-part segmentation: stretch to the model size (official), logits back to the image size, argmax."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..processing import segmentation_labels, stretch_resize
from ..results import SegResult
from .base import ModelIO, Prepared


class SegPipeline:
    """Official policy: a non-aspect-preserving resize in, bilinear logits up to the original size out."""

    def __init__(self, io: ModelIO) -> None:
        self.io = io

    def prepare(self, image_bgr: np.ndarray, **_: Any) -> Prepared:
        resized = stretch_resize(image_bgr, self.io.input_size_wh)
        return Prepared(resized[None], {"image_size": image_bgr.shape[:2]})

    def finish(self, outputs: dict[str, np.ndarray], prepared: Prepared) -> SegResult:
        height, width = prepared.context["image_size"]
        if "logits" in outputs:
            labels = segmentation_labels(outputs["logits"][0], (height, width))
        else:
            # In-graph argmax at model resolution: labels can only be resized by nearest neighbour.
            labels = cv2.resize(outputs["labels"][0].astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
        return SegResult(labels=labels)
