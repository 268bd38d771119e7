"""What every task pipeline shares: the model's I/O contract and the step that feeds a runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from ..models.outputs import INPUT_NAME
from ..processing import normalize
from ..processing.metadata import KeypointMetadata, keypoint_metadata
from ..processing.validate import require_finite

RunFn = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


@dataclass(frozen=True)
class ModelIO:
    """The contract between pre/post-processing and an artifact, as a bundle manifest records it.

    ``input_size`` is (height, width). ``pixel_layout`` None means the input is normalised float32
    NCHW RGB; ``"NHWC"``/``"NCHW"`` means uint8 RGB pixels normalised inside the graph. ``keypoints``:
    a pose model's own keypoint set (``processing.keypoint_sets``), None for the official 308.
    """

    task: str
    input_size: tuple[int, int]
    output_names: tuple[str, ...]
    input_name: str = INPUT_NAME
    pixel_layout: str | None = None
    canonical_focal_length: float = 768.0
    keypoints: KeypointMetadata | None = None

    @property
    def keypoint_set(self) -> KeypointMetadata:
        """The keypoints the model's heatmap channels are, in order."""
        return self.keypoints if self.keypoints is not None else keypoint_metadata()

    @property
    def input_size_wh(self) -> tuple[int, int]:
        """(width, height): the order OpenCV and ``sapiens2.processing`` use."""
        return self.input_size[1], self.input_size[0]


class ModelFeeder:
    """Turns uint8 BGR images (N, H, W, 3) into the runtime's input and runs it."""

    def __init__(self, io: ModelIO, run: RunFn) -> None:
        self.io = io
        self.run = run

    def _input(self, images_bgr: np.ndarray) -> np.ndarray:
        if self.io.pixel_layout is None:
            return normalize(images_bgr)
        rgb = np.ascontiguousarray(images_bgr[..., ::-1])
        return rgb if self.io.pixel_layout == "NHWC" else np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))

    def __call__(self, images_bgr: np.ndarray) -> dict[str, np.ndarray]:
        outputs = self.run({self.io.input_name: self._input(images_bgr)})
        missing = [name for name in self.io.output_names if name not in outputs]
        if missing:
            raise RuntimeError(f"the runtime returned {sorted(outputs)} but not {missing}")
        require_finite(outputs)
        return outputs


@dataclass
class Prepared:
    """One image's model inputs (n, H, W, 3) uint8 BGR and what the pipeline needs to finish it."""

    inputs: np.ndarray
    context: dict[str, Any] = field(default_factory=dict)


class Pipeline(Protocol):
    """``prepare`` an image into model inputs; ``finish`` the matching outputs into a Result."""

    io: ModelIO

    def prepare(self, image_bgr: np.ndarray, **options: Any) -> Prepared: ...

    def finish(self, outputs: dict[str, np.ndarray], prepared: Prepared) -> Any: ...
