"""Top-down pose result: person boxes and their keypoints (the 308, or the model's own set) in original-image pixels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..processing.keypoint_sets import is_official
from ..processing.metadata import KeypointMetadata, keypoint_metadata
from ..processing.visualize import KEYPOINT_SCORE_THRESHOLD, draw_pose, draw_track_ids
from .base import ResultIO, check_shape


@dataclass(eq=False)
class PoseResult(ResultIO):
    """N people: ``boxes`` (N, 4) xyxy, ``box_scores`` (N,), ``keypoints`` (N, K, 2) (x, y) image pixels,
    ``keypoint_scores`` (N, K) raw heatmap maxima, ``image_size`` (H, W) of the original image;
    ``track_ids`` (N,) stable person IDs in video (None for single images); ``keypoint_set``: what the
    K keypoints are (names, skeleton, colours), the official 308 unless the model has its own."""

    task = "pose"

    boxes: np.ndarray
    box_scores: np.ndarray
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    image_size: tuple[int, int]
    keypoint_set: KeypointMetadata = field(default_factory=keypoint_metadata)
    meta: dict[str, Any] = field(default_factory=dict)
    track_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32).reshape(-1, 4)
        count, num_keypoints = len(self.boxes), len(self.keypoint_names)
        self.box_scores = np.asarray(self.box_scores, dtype=np.float32)
        self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
        self.keypoint_scores = np.asarray(self.keypoint_scores, dtype=np.float32)
        check_shape("box_scores", self.box_scores, (count,))
        check_shape("keypoints", self.keypoints, (count, num_keypoints, 2))
        check_shape("keypoint_scores", self.keypoint_scores, (count, num_keypoints))
        self.image_size = (int(self.image_size[0]), int(self.image_size[1]))
        if self.track_ids is not None:
            self.track_ids = np.asarray(self.track_ids, dtype=np.int64)
            check_shape("track_ids", self.track_ids, (count,))

    @property
    def keypoint_names(self) -> tuple[str, ...]:
        return self.keypoint_set.names

    def to_dict(self) -> dict[str, Any]:
        """Every instance in full (box, score, keypoints, keypoint scores) plus the keypoint names (and, for a
        set other than the official 308, its skeleton, so that a reader can draw it)."""
        instances = [
            {
                "bbox": box.tolist(),
                "bbox_score": float(score),
                "keypoints": points.tolist(),
                "keypoint_scores": point_scores.tolist(),
            }
            for box, score, points, point_scores in zip(
                self.boxes, self.box_scores, self.keypoints, self.keypoint_scores
            )
        ]
        if self.track_ids is not None:
            for instance, track_id in zip(instances, self.track_ids.tolist()):
                instance["track_id"] = track_id
        own_set = {} if is_official(self.keypoint_set) else {"skeleton_links": self.keypoint_set.skeleton_links.tolist()}
        return {
            **self._header(self.image_size),
            "num_keypoints": len(self.keypoint_names),
            "keypoint_names": list(self.keypoint_names),
            **own_set,
            "instances": instances,
        }

    def draw(self, image_bgr: np.ndarray | None = None, threshold: float = KEYPOINT_SCORE_THRESHOLD) -> np.ndarray:
        """Skeletons over ``image_bgr`` (black canvas if None); only keypoints/links scoring >= ``threshold``."""
        canvas = image_bgr if image_bgr is not None else np.zeros(self.image_size + (3,), dtype=np.uint8)
        picture = draw_pose(canvas, self.keypoints, self.keypoint_scores, threshold, keypoint_set=self.keypoint_set)
        return picture if self.track_ids is None else draw_track_ids(picture, self.boxes, self.track_ids)
