"""``sapiens2 predict`` on a video or camera: an annotated video, a JSON Lines file, a live window.

Each video input gives ``{stem}_{task}.mp4`` (overlays and track IDs, the source's size, its frame
rate divided by ``--every``) and ``{stem}_{task}.jsonl`` (one result per line with frame index,
timestamp and track IDs), written atomically by ``results.video_output``. SIGTERM ends the run
like Ctrl-C: the files hold the frames done.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import cv2
import numpy as np
from tqdm import tqdm

from sapiens2.errors import UserError
from sapiens2.predictor import Predictor
from sapiens2.processing.smoothing import DEFAULT_SMOOTHING
from sapiens2.processing.video_io import VideoSource
from sapiens2.results.video_output import VideoOutput, frame_record
from sapiens2.video import predict_frames

from .inputs import InputItem

WINDOW_TITLE = "sapiens2 (q to stop)"


def add_video_arguments(parser: argparse.ArgumentParser) -> None:
    """The video options of ``predict``."""
    video = parser.add_argument_group("video and camera")
    video.add_argument("--max-frames", type=int, help="results to produce from each video or camera")
    video.add_argument("--every", type=int, default=1, help="keep every Nth frame (default 1: all)")
    video.add_argument("--no-smoothing", action="store_true", help="raw keypoints (default: One-Euro smoothed per track)")
    video.add_argument("--save-arrays", action="store_true", help="dense tasks: also write each frame's arrays as .npy")


def has_display() -> bool:
    """Whether a window can be shown: always on macOS and Windows, with DISPLAY or WAYLAND_DISPLAY elsewhere."""
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class LiveWindow:
    """Shows frames in an OpenCV window; turns itself off where OpenCV has no GUI (headless builds)."""

    def __init__(self) -> None:
        self.open = has_display()

    def show(self, picture: np.ndarray) -> bool:
        """Show ``picture``; False once the user pressed q or closed the window."""
        if not self.open:
            return True
        try:
            cv2.imshow(WINDOW_TITLE, picture)
            return (cv2.waitKey(1) & 0xFF) != ord("q")
        except cv2.error:
            self.open = False
            return True


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so output files are finalised, as on Ctrl-C."""

    def interrupt(*_: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def predict_video_item(predictor: Predictor, item: InputItem, stem: str, args: argparse.Namespace, boxes: Any) -> tuple[int, int]:
    """Run one video or camera input into ``{stem}_{task}.*``; returns (frames written, files written).

    A video that yields no frame is an error; one that ends before its header's frame count a warning.
    """
    source = VideoSource(item.camera_index if item.kind == "camera" else item.text, args.max_frames, args.every)
    fps = source.info.fps / args.every
    output = VideoOutput(args.out, stem, predictor.task, fps, (source.info.width, source.info.height), args.save_arrays)
    window = LiveWindow() if item.kind == "camera" else None
    smoothing = None if args.no_smoothing else DEFAULT_SMOOTHING
    expected = source.expected_frames() if item.kind == "video" else None
    bar = tqdm(total=expected, desc=stem, unit="frame", file=sys.stderr, disable=None)
    stopped = False
    with sigterm_as_interrupt(), source, output, bar:
        for frame, result in predict_frames(predictor, source, boxes=boxes, smoothing=smoothing):
            result.meta["input"] = item.text
            picture = output.write(result, frame.image)
            if args.json:
                print(json.dumps(frame_record(result), allow_nan=False), flush=True)
            bar.update(1)
            if window is not None and not window.show(picture):
                stopped = True
                break
    if output.frames == 0:
        raise UserError(f"{item.text}: no frame could be decoded (is the file complete and in a codec OpenCV reads?)")
    if expected is not None and output.frames < expected and not stopped:
        print(
            f"sapiens2 predict: warning: {item.text} ended after {output.frames} of {expected} expected frames "
            "(truncated or partly corrupt); the frames decoded were written",
            file=sys.stderr,
        )
    arrays = sum(1 for _ in output.arrays_dir.iterdir()) if output.arrays_dir is not None and output.arrays_dir.is_dir() else 0
    return output.frames, 2 + arrays
