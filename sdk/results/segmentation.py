"""Body-part segmentation result: one class label per original-image pixel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..processing.dense import foreground_mask
from ..processing.metadata import segmentation_metadata
from ..processing.visualize import colorize_labels, overlay_segmentation
from .base import DENSE_NOTE, ResultIO, check_shape


def _class_names() -> tuple[str, ...]:
    return segmentation_metadata().names


@dataclass(eq=False)
class SegResult(ResultIO):
    """``labels`` (H, W) class ids into ``class_names`` (0 = background)."""

    task = "seg"

    labels: np.ndarray
    class_names: tuple[str, ...] = field(default_factory=_class_names)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = np.asarray(self.labels)
        check_shape("labels", self.labels, (None, None))

    @property
    def foreground(self) -> np.ndarray:
        """Person pixels (label > 0), the mask the normal/pointmap/albedo results use."""
        return foreground_mask(self.labels)

    def to_dict(self) -> dict[str, Any]:
        """Class names and per-class pixel counts; the label map itself goes to ``{stem}_seg.npy``."""
        counts = np.bincount(self.labels.ravel().astype(np.int64), minlength=len(self.class_names))
        return {
            **self._header(self.labels.shape),
            "class_names": list(self.class_names),
            "pixel_counts": {name: int(n) for name, n in zip(self.class_names, counts) if n},
            "labels": {"shape": list(self.labels.shape), "dtype": "uint8"},
            "note": DENSE_NOTE,
        }

    def draw(self, image_bgr: np.ndarray | None = None) -> np.ndarray:
        """Half-transparent class colours over ``image_bgr``, or the plain colour map when None."""
        if image_bgr is None:
            return np.ascontiguousarray(colorize_labels(self.labels)[:, :, ::-1])
        self._check_image(image_bgr, self.labels.shape)
        return overlay_segmentation(image_bgr, self.labels)

    def arrays(self) -> dict[str, np.ndarray]:
        """The label map as uint8 (29 classes fit)."""
        return {"seg": self.labels.astype(np.uint8)}
