"""``Predictor``: images in, results out, whatever runtime computes the model.

It owns a task pipeline (shared pre/post-processing) and a run function (PyTorch, ONNX Runtime,
OpenVINO, ExecuTorch or the remote server), batches the model inputs of several images or person
crops together, and stamps every result with the predictor's ``meta`` (runtime, weights warning).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from .errors import UserError
from .limits import check_image_memory, check_image_size
from .pipelines import PIPELINES, ModelFeeder, ModelIO, Prepared
from .pipelines.base import RunFn
from .processing import load_image
from .processing.smoothing import DEFAULT_SMOOTHING
from .processing.video_io import VideoSource
from .video import predict_frames

DEFAULT_BATCH_SIZE = 8


def _is_many(images: Any) -> bool:
    return isinstance(images, (list, tuple))


def _name(source: Any) -> str:
    return f"image {str(source)!r}" if isinstance(source, (str, Path)) else "the image"


def _pipeline_options(task: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` if the task's pipeline takes them all; otherwise a UserError naming the ones it does not."""
    accepted = inspect.signature(PIPELINES[task]).parameters
    unknown = sorted(name for name in options if name not in accepted or name == "io")
    if unknown:
        takers = sorted(t for t, cls in PIPELINES.items() if all(n in inspect.signature(cls).parameters for n in unknown))
        where = f"; they apply to {', '.join(takers)} models" if takers else ""
        raise UserError(f"option(s) {', '.join(unknown)} do not apply to a {task} model{where}")
    return options


def _checked_image(image_bgr: np.ndarray, task: str, name: str) -> np.ndarray:
    check_image_size(image_bgr.shape, name)
    check_image_memory(image_bgr.shape, task, name)
    return image_bgr


class Predictor:
    """``predict(image_or_list)`` -> Result(s); ``predict_video(path_or_camera)`` -> a generator of Results (see ``video.py``)."""

    def __init__(
        self,
        io: ModelIO,
        run: RunFn,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        meta: dict[str, Any] | None = None,
        **pipeline_options: Any,
    ) -> None:
        if batch_size < 1:
            raise UserError(f"batch size must be positive, got {batch_size}")
        self.io = io
        self.task = io.task
        self.batch_size = batch_size
        self.meta = dict(meta or {})
        self.pipeline = PIPELINES[io.task](io, **_pipeline_options(io.task, pipeline_options))
        self.runtime = run
        self._feed = ModelFeeder(io, run)

    def predict(
        self,
        images: Any,
        boxes: Any = None,
        foreground: Any = None,
        color_order: str | None = None,
    ) -> Any:
        """One image (path, array, PIL image) -> one Result; a list -> a list.

        ``boxes``: person boxes (N, 4|5) for pose (a list of them for a list of images); an empty list
        means no people (a result without instances, no model run), None the detector or whole image.
        Images under 16x16 pixels, nonsense boxes and NaN/inf model outputs raise ``UserError``.
        ``foreground``: a SegResult (or labels) that masks normal / pointmap / albedo results.
        ``color_order``: "rgb" or "bgr" for numpy arrays (required for them).
        """
        many = _is_many(images)
        sources = list(images) if many else [images]
        per_image_boxes = self._per_image(boxes, len(sources), many)
        per_image_foreground = self._per_image(foreground, len(sources), many)
        prepared = [
            self.pipeline.prepare(_checked_image(load_image(source, color_order), self.task, _name(source)), boxes=b, foreground=f)
            for source, b, f in zip(sources, per_image_boxes, per_image_foreground)
        ]
        results = self._run_all(prepared)
        return results if many else results[0]

    def predict_video(
        self,
        source: str | int,
        max_frames: int | None = None,
        boxes: Any = None,
        every: int = 1,
        smoothing: bool = True,
    ) -> Iterator[Any]:
        """Results frame by frame from a video file or a camera index, decoded in a background thread
        and batched; pose results carry stable ``track_ids`` and (unless ``smoothing=False``)
        One-Euro-smoothed keypoints. ``meta`` holds each frame's index and time (``frame``,
        ``timestamp_s``). ``every``: keep every Nth frame; ``max_frames``: stop after that many results.
        """
        source_frames = VideoSource(source, max_frames, every)
        params = DEFAULT_SMOOTHING if smoothing else None
        for _, result in predict_frames(self, source_frames, boxes=boxes, smoothing=params):
            yield result

    @staticmethod
    def _per_image(value: Any, count: int, many: bool) -> Sequence[Any]:
        if value is None:
            return [None] * count
        if not many:
            return [value]
        if not _is_many(value) or len(value) != count:
            raise ValueError(f"give one entry per image ({count}) when predicting a list of images")
        return list(value)

    def _run_all(self, prepared: list[Prepared]) -> list[Any]:
        inputs = np.concatenate([p.inputs for p in prepared])
        outputs = self.run_model(inputs)
        results, start = [], 0
        for item in prepared:
            stop = start + len(item.inputs)
            result = self.pipeline.finish({k: v[start:stop] for k, v in outputs.items()}, item)
            result.meta.update(self.meta)
            results.append(result)
            start = stop
        return results

    def run_model(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """Raw model outputs for prepared inputs (N, H, W, 3) uint8 BGR, run ``batch_size`` at a time."""
        chunks: dict[str, list[np.ndarray]] = {}
        for start in range(0, len(inputs), self.batch_size):
            for name, value in self._feed(inputs[start : start + self.batch_size]).items():
                chunks.setdefault(name, []).append(np.asarray(value))
        return {name: np.concatenate(values) for name, values in chunks.items()}

