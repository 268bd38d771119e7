"""Calibration data: the user's images or videos, or the packaged samples, as model inputs; plus held-out images.

A source is a directory (its image files, then frames spread evenly over each of its videos), a
video file, or nothing: the default is ``data_dir()/images`` (``sapiens2.samples``: the photos of
people and the ``vtest.avi`` frames packaged with the SDK, or ``$SAPIENS2_DATA/images``). Each image goes through the task's own pre-processing (``sapiens2.pipelines``), so
the quantizer sees what deployment feeds the model: person crops for top-down pose (HOG-detected
people, the whole image when none is found), the stretch or letterbox resize for dense tasks.

The images are split once, deterministically and evenly spread: a share goes to the held-out set
that the accuracy gate measures on, and calibration never sees those.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sapiens2.errors import CompileError
from sapiens2.samples import artifact_input, data_dir
from sapiens2.pipelines import PIPELINES, ModelIO, Pipeline, PosePipeline, Prepared
from sapiens2.processing import HogPersonDetector, iter_video, person_boxes, read_image

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv", ".webm", ".m4v")
HELD_OUT_IMAGES = 6
MAX_CROPS_PER_IMAGE = 4  # held-out pose images: bounds the gate's run time on crowded frames


@dataclass(frozen=True)
class SourceImage:
    """One calibration or held-out image: where it came from (``file`` or ``video#frame``) and its BGR pixels."""

    name: str
    image: np.ndarray


@dataclass(frozen=True)
class HeldOutImage:
    """A held-out image prepared by the task pipeline: ``prepared.inputs`` are its model-size crops/resizes."""

    name: str
    prepared: Prepared


@dataclass(frozen=True)
class CalibrationSet:
    """Model inputs to calibrate on (batch 1 each, in the artifact's input form) and the held-out images."""

    source: str
    requested: int
    inputs: tuple[np.ndarray, ...]
    images: tuple[str, ...]
    held_out: tuple[HeldOutImage, ...]
    pipeline: Pipeline
    preprocess: str | None

    def model_input(self, images_bgr: np.ndarray) -> np.ndarray:
        """(N, H, W, 3) uint8 BGR at model size -> what the artifact takes."""
        return artifact_input(images_bgr, self.preprocess)

    def record(self) -> dict[str, Any]:
        """The manifest's calibration entry: ``size`` is the number of distinct inputs used, ``requested`` the
        ``--calibration-size`` asked for (larger when the source holds fewer crops)."""
        return {"source": self.source, "size": len(self.inputs), "requested": self.requested, "images": list(self.images)}


def default_source() -> Path:
    """The sample images (``sapiens2.samples.data_dir()/images``)."""
    return data_dir() / "images"


def task_pipeline(task: str, input_size: tuple[int, int], output_names: tuple[str, ...], preprocess: str | None) -> Pipeline:
    """The task's pre-processing; pose finds people with the built-in HOG detector."""
    io = ModelIO(task=task, input_size=tuple(input_size), output_names=tuple(output_names), pixel_layout=preprocess)
    return PIPELINES[task](io, detector=HogPersonDetector()) if task == "pose" else PIPELINES[task](io)


def read_sources(source: str | Path | None, count: int) -> list[SourceImage]:
    """Up to ``count`` images: a directory's image files (sorted) first, the rest as frames spread over its videos."""
    path = Path(source) if source is not None else default_source()
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES)
    else:
        raise CompileError(f"calibration source {path} does not exist: give a folder of images/videos or a video file")
    stills = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES][:count]
    images = [SourceImage(p.name, read_image(p)) for p in stills]
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    remaining = count - len(images)
    for index, video in enumerate(videos):
        share = math.ceil(remaining / (len(videos) - index))
        frames = list(_spread_frames(video, share))
        images += frames
        remaining -= len(frames)
    return images


def _spread_frames(video: Path, count: int) -> Iterator[SourceImage]:
    """``count`` frames evenly spaced over the video (read with ``sapiens2.processing.iter_video``)."""
    if count <= 0:
        return
    capture = cv2.VideoCapture(str(video))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    wanted = {int((i + 0.5) * total / count) for i in range(count)} if total > 0 else set(range(count))
    for index, frame in enumerate(iter_video(video, max(wanted) + 1)):
        if index in wanted:
            yield SourceImage(f"{video.name}#{index}", frame)


def split_held_out(images: list[SourceImage], held_out: int) -> tuple[list[SourceImage], list[SourceImage]]:
    """(calibration, held-out): ``held_out`` images spread evenly over the list, the rest for calibration."""
    ratio = held_out / len(images)
    chosen = {i for i in range(len(images)) if math.floor((i + 1) * ratio) > math.floor(i * ratio)}
    return [im for i, im in enumerate(images) if i not in chosen], [im for i, im in enumerate(images) if i in chosen]


def calibration_set(
    task: str,
    input_size: tuple[int, int],
    output_names: tuple[str, ...],
    preprocess: str | None,
    source: str | Path | None = None,
    size: int = 16,
    held_out: int = HELD_OUT_IMAGES,
) -> CalibrationSet:
    """``size`` calibration inputs and ``held_out`` held-out images from ``source`` (default: the sample images)."""
    pipeline = task_pipeline(task, input_size, output_names, preprocess)
    images = read_sources(source, size + held_out)
    if len(images) < 2:
        raise CompileError(
            f"calibration source {source or default_source()} gives {len(images)} image(s); the accuracy gate needs "
            "images not used for calibration: give at least 2 images or a video"
        )
    calibrate, evaluate = split_held_out(images, min(held_out, len(images) // 2))
    crops = [(image.name, crop) for image in calibrate for crop in pipeline.prepare(image.image).inputs]
    picked = [crops[index] for index in spread_indices(len(crops), size)]
    return CalibrationSet(
        source=str(source) if source is not None else f"default: {default_source()}",
        requested=size,
        inputs=tuple(artifact_input(crop[None], preprocess) for _, crop in picked),
        images=tuple(dict.fromkeys(name for name, _ in picked)),
        held_out=tuple(_held_out(pipeline, image) for image in evaluate),
        pipeline=pipeline,
        preprocess=preprocess,
    )


def spread_indices(available: int, wanted: int) -> list[int]:
    """``min(available, wanted)`` distinct indices into ``available`` items, evenly spread, in order.

    When the source holds fewer items than wanted, each is used once: repeating one would only
    weigh it more in the calibration statistics, not add information.
    """
    count = min(available, wanted)
    return [i * available // count for i in range(count)]


def _held_out(pipeline: Pipeline, image: SourceImage) -> HeldOutImage:
    if isinstance(pipeline, PosePipeline):
        boxes = person_boxes(image.image, None, pipeline.detector)[:MAX_CROPS_PER_IMAGE]
        return HeldOutImage(image.name, pipeline.prepare(image.image, boxes=boxes))
    return HeldOutImage(image.name, pipeline.prepare(image.image))
