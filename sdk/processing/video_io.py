"""Video frames with their timestamps, decoded in a background thread so decoding overlaps inference.

``VideoSource`` opens a file or a camera at once (an ``InputError`` if it cannot), then a daemon
thread decodes frames into a small queue while the caller runs the model on earlier ones.
Timestamps are the container's (``CAP_PROP_POS_MSEC``) while they increase, else frame index /
frame rate; a camera's are seconds since it opened. Smoothing and tracking use these times, so
``every`` (keep every Nth frame) and dropped camera frames change nothing in their behaviour.
A camera keeps only the newest frame waiting (older ones are dropped), so a slow model shows the
present, not a growing backlog.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from sapiens2.errors import InputError

DEFAULT_FPS = 30.0  # when the container or camera does not say
QUEUE_FRAMES = 16
_END = object()


@dataclass(frozen=True)
class VideoFrame:
    """One decoded frame: its index in the source, its time in seconds and the BGR image."""

    index: int
    timestamp: float
    image: np.ndarray


@dataclass(frozen=True)
class VideoInfo:
    """What an output video needs from its source: frame rate, size and (for files) frame count."""

    fps: float
    width: int
    height: int
    frame_count: int | None


class VideoSource:
    """Frames of a video file (path) or camera (int index), every ``every``-th, at most ``max_frames`` of them."""

    def __init__(
        self, source: str | Path | int, max_frames: int | None = None, every: int = 1, queue_frames: int = QUEUE_FRAMES
    ) -> None:
        if every < 1:
            raise InputError(f"every must be >= 1, got {every}")
        if max_frames is not None and max_frames < 0:
            raise InputError(f"max_frames must be >= 0, got {max_frames}")
        self.is_camera = isinstance(source, int)
        name = f"camera {source}" if self.is_camera else f"video {str(source)!r}"
        if not self.is_camera and not Path(source).is_file():
            raise InputError(f"{name} does not exist or is not a file")
        self._capture = cv2.VideoCapture(source if self.is_camera else str(source))
        if not self._capture.isOpened():
            self._capture.release()
            raise InputError(f"{name} could not be opened: check the path/index and that OpenCV has the codec")
        self.info = self._read_info()
        self.max_frames, self.every = max_frames, every
        self._queue: queue.Queue = queue.Queue(maxsize=1 if self.is_camera else queue_frames)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read_info(self) -> VideoInfo:
        fps = self._capture.get(cv2.CAP_PROP_FPS)
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        return VideoInfo(
            fps=fps if fps > 0 else DEFAULT_FPS,
            width=int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            frame_count=count if count > 0 and not self.is_camera else None,
        )

    def expected_frames(self) -> int | None:
        """How many frames iteration will give, when the source says how long it is."""
        limit = self.max_frames
        if self.info.frame_count is not None:
            available = -(-self.info.frame_count // self.every)
            limit = available if limit is None else min(limit, available)
        return limit

    def __iter__(self) -> Iterator[VideoFrame]:
        if self._thread is not None:
            raise RuntimeError("a VideoSource can be iterated once")
        self._thread = threading.Thread(target=self._decode, name="sapiens2-video-decode", daemon=True)
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop decoding and release the file or camera (also done when iteration ends)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            while self._thread.is_alive():  # unblock a producer waiting on a full queue
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    self._thread.join(timeout=0.05)
        self._capture.release()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _decode(self) -> None:
        try:
            for frame in self._frames():
                if self._stop.is_set():
                    return
                if self.is_camera:
                    self._drop_waiting()
                self._put(frame)
        except Exception as error:  # handed to the consuming thread, which raises it
            self._put(error)
        finally:
            self._put(_END)

    def _drop_waiting(self) -> None:
        try:
            self._queue.get_nowait()
        except queue.Empty:
            pass

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _frames(self) -> Iterator[VideoFrame]:
        started, previous_time, index, kept = time.monotonic(), -1.0, -1, 0
        while self.max_frames is None or kept < self.max_frames:
            ok, image = self._capture.read()
            if not ok or image is None:
                return
            index += 1
            timestamp = self._timestamp(index, started, previous_time)
            previous_time = timestamp
            if index % self.every:
                continue
            kept += 1
            yield VideoFrame(index, timestamp, image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))

    def _timestamp(self, index: int, started: float, previous: float) -> float:
        if self.is_camera:
            return time.monotonic() - started
        container = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        return container if container > previous else index / self.info.fps
