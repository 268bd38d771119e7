"""``sapiens2 bench --video``: each row's frames/s on the video path, next to single-frame predict.

A row's runner (the eager reference, a torch row, a bundle's runtime) becomes a ``Predictor``
through the model's I/O contract, so both figures run the whole pipeline a user runs: decoding,
person crops, the model, decoding the outputs, and on the video path also the background decoding
thread, ``--batch`` frames per forward pass, tracking and smoothing (``video_throughput.compare``).
Without a file, the clip is the sample frames packaged with the SDK (people walking in OpenCV's
``vtest.avi``), written as a short video.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import cv2
import numpy as np
from sapiens2.errors import UserError
from sapiens2.pipelines import ModelIO
from sapiens2.predictor import Predictor
from sapiens2.processing.video_io import VideoSource
from sapiens2.results.video_output import VIDEO_CODEC, VIDEO_SUFFIX
from sapiens2.samples import data_dir

from .results import VideoThroughput
from .timing import Runner
from .video_throughput import compare

SAMPLE_FRAMES = "vtest_frame*.jpg"
SAMPLE_FPS = 10.0
DEFAULT_VIDEO_FRAMES = 16
VIDEO_ROUNDS = 2
SAMPLE_CLIP = Path("<sample frames>")  # ``--video`` without a file


def measure_video(runner: Runner, io: ModelIO, batch: int, video: Path, frames: int) -> VideoThroughput:
    """Both paths through a ``Predictor`` on ``runner``, alternated (A B A B); pose crops are whole frames
    on both, so they run the same number of crops per frame whatever the (random) keypoints say."""
    predictor = Predictor(io, runner.run, batch_size=batch)
    boxes = _whole_frame(video) if io.task == "pose" else None
    figures = compare(predictor, str(video), frames, VIDEO_ROUNDS, boxes)
    return VideoThroughput(batch, frames, figures["single_frame_fps"], figures["video_path_fps"])


def _whole_frame(video: Path) -> np.ndarray:
    with VideoSource(video, max_frames=0) as source:
        return np.array([[0, 0, source.info.width, source.info.height]], np.float32)


@contextmanager
def bench_video(given: Path | None) -> Iterator[Path | None]:
    """None without ``--video``; ``given`` (it must be a readable video); for ``SAMPLE_CLIP`` the packaged
    sample frames as a clip in a temporary folder, for the run."""
    if given is None:
        yield None
        return
    if given != SAMPLE_CLIP:
        with VideoSource(given, max_frames=0):  # an unreadable file is the user's to fix, before any row is built
            pass
        yield given
        return
    with TemporaryDirectory(prefix="sapiens2-bench-video-") as folder:
        yield write_sample_clip(Path(folder) / f"sample_clip{VIDEO_SUFFIX}")


def write_sample_clip(path: Path) -> Path:
    """The packaged ``vtest`` frames, in order, as a ``SAMPLE_FPS`` video at ``path``."""
    frames = sorted((data_dir() / "images").glob(SAMPLE_FRAMES))
    if not frames:
        raise UserError(f"no {SAMPLE_FRAMES} under {data_dir() / 'images'}: give a clip with --video FILE")
    first = cv2.imread(str(frames[0]))
    height, width = first.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*VIDEO_CODEC), SAMPLE_FPS, (width, height))
    try:
        for frame in frames:
            writer.write(cv2.imread(str(frame)))
    finally:
        writer.release()
    return path
