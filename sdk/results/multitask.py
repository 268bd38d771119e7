"""Multi-task result: the pose and the segmentation of one image, from one backbone pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import ResultIO
from .pose import PoseResult
from .segmentation import SegResult


@dataclass(eq=False)
class MultiTaskResult(ResultIO):
    """``pose`` (a PoseResult) and ``seg`` (a SegResult) of the same image; each keeps its own API."""

    task = "multitask"

    pose: PoseResult
    seg: SegResult
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The header, then each task's own ``to_dict`` under ``pose`` and ``seg``."""
        return {**self._header(self.pose.image_size), "pose": self.pose.to_dict(), "seg": self.seg.to_dict()}

    def draw(self, image_bgr: np.ndarray | None = None) -> np.ndarray:
        """The segmentation overlay with the skeletons drawn over it."""
        return self.pose.draw(self.seg.draw(image_bgr))

    def arrays(self) -> dict[str, np.ndarray]:
        return self.seg.arrays()
