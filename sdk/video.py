"""Video mode: frames in (decoded in a background thread), batched results out, people tracked and smoothed.

``predict_frames`` is the one loop behind ``Predictor.predict_video`` and ``sapiens2 predict
video.mp4``: it groups ``batch_size`` frames per ``Predictor.predict`` call (their person crops
or dense inputs share forward passes), and for pose links people across frames
(``processing.tracking``) and smooths their keypoints (``processing.smoothing``). Person boxes
come from the caller, else the predictor's detector, else the previous frames' keypoints (as
top-down trackers do; within a batch, from the last finished frame), else the whole image.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any

import numpy as np

from .processing.one_euro import OneEuroParams
from .processing.smoothing import DEFAULT_SMOOTHING, PoseSmoother, keypoint_groups
from .processing.tracking import PersonTracker, boxes_from_keypoints
from .processing.video_io import VideoFrame, VideoSource
from .results import PoseResult

if TYPE_CHECKING:
    from .predictor import Predictor


class PoseTracking:
    """Gives each ``PoseResult`` its people's track IDs and (unless ``smoothing`` is None) smoothed keypoints."""

    def __init__(
        self,
        smoothing: Mapping[str, OneEuroParams] | None = DEFAULT_SMOOTHING,
        tracker: PersonTracker | None = None,
        keypoint_names: tuple[str, ...] | None = None,
    ) -> None:
        """``keypoint_names``: the model's keypoint set, which decides each keypoint's smoothing group (default: the 308)."""
        self.tracker = tracker or PersonTracker()
        self.smoother = PoseSmoother(smoothing, keypoint_groups(keypoint_names)) if smoothing is not None else None
        self._last: PoseResult | None = None

    def __call__(self, result: PoseResult, timestamp: float) -> PoseResult:
        """Set ``result.track_ids`` and replace its keypoints by the smoothed ones (in place; returns it)."""
        ids = self.tracker.update(result.boxes, timestamp, result.keypoints, result.keypoint_scores)
        if self.smoother is not None:
            self.smoother.forget(self.tracker.ended)
            result.keypoints = self.smoother.smooth(ids, result.keypoints, result.boxes, timestamp)
        result.track_ids = ids
        self._last = result
        return result

    def next_boxes(self) -> np.ndarray | None:
        """Boxes for the next frame from the last frame's keypoints (None when no one was confidently seen)."""
        if self._last is None:
            return None
        boxes = boxes_from_keypoints(self._last.keypoints, self._last.keypoint_scores)
        # Inside the frame: keypoints decoded near a crop's edge may lie outside it, and a box must overlap the image.
        height, width = self._last.image_size
        boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
        boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
        boxes = boxes[(boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])]
        return boxes if len(boxes) else None

    def reset(self) -> None:
        """Forget every person (a seek or a scene cut): new IDs, unsmoothed first frame."""
        self.tracker.reset()
        if self.smoother is not None:
            self.smoother.reset()
        self._last = None


def _batches(frames: Iterator[VideoFrame], size: int) -> Iterator[list[VideoFrame]]:
    while batch := list(islice(frames, size)):
        yield batch


def predict_frames(
    predictor: Predictor,
    source: VideoSource,
    boxes: Any = None,
    smoothing: Mapping[str, OneEuroParams] | None = DEFAULT_SMOOTHING,
    frames_per_batch: int | None = None,
) -> Iterator[tuple[VideoFrame, Any]]:
    """(frame, result) for every frame of ``source``; each result's meta holds ``frame`` and ``timestamp_s``.

    ``boxes``: fixed person boxes for every frame (pose). ``smoothing``: One-Euro parameters per
    keypoint group, None for raw keypoints. ``frames_per_batch`` defaults to the predictor's
    batch size for files and 1 for cameras (a live view must not wait for a batch to fill).
    """
    tracking = PoseTracking(smoothing, keypoint_names=predictor.io.keypoint_set.names) if predictor.task == "pose" else None
    propagate = tracking is not None and boxes is None and getattr(predictor.pipeline, "detector", None) is None
    size = frames_per_batch or (1 if source.is_camera else predictor.batch_size)
    for batch in _batches(iter(source), size):
        frame_boxes = tracking.next_boxes() if propagate and tracking is not None else boxes
        per_frame = [frame_boxes] * len(batch) if predictor.task == "pose" else None
        results = predictor.predict([frame.image for frame in batch], boxes=per_frame, color_order="bgr")
        for frame, result in zip(batch, results):
            if tracking is not None:
                tracking(result, frame.timestamp)
            result.meta.update(frame=frame.index, timestamp_s=round(frame.timestamp, 6))
            yield frame, result
