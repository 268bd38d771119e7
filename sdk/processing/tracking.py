"""Stable person IDs across video frames: motion-predicted boxes matched by the Hungarian assignment.

Each track keeps its last box, a velocity (pixels per second, from timestamps) and its last
keypoints. Per frame, every track is moved by its velocity to the new timestamp, and the
similarity of each (track, person) pair is the IoU of the boxes, averaged with their object
keypoint similarity (OKS) when both carry enough confident keypoints: OKS separates people whose
boxes overlap while they pass each other, IoU keeps a track whose keypoints are poor. ``scipy.optimize.linear_sum_assignment`` picks the pairing
of highest total similarity; pairs below ``min_similarity`` are not matched. A person left
unmatched starts a new track; a track unmatched for more than ``max_missed`` frames ends.
The mobile ports replay ``tests/golden/tracker.json`` against this implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MIN_SIMILARITY = 0.3
MAX_MISSED = 8
VELOCITY_MOMENTUM = 0.5  # weight of the previous velocity when a track is seen again
OKS_SIGMA = 0.1  # one keypoint tolerance for all 308 points, as a fraction of sqrt(box area)
OKS_SCORE_THRESHOLD = 0.3
OKS_MIN_SHARED = 3  # fewer shared confident keypoints than this: OKS is not used
KEYPOINT_BOX_MARGIN = 0.1


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of xyxy boxes, continuous coordinates (area = w * h)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def keypoint_similarity(
    a_points: np.ndarray, a_scores: np.ndarray, b_points: np.ndarray, b_scores: np.ndarray, b_box: np.ndarray
) -> float | None:
    """OKS of one person's keypoints against another's (K, 2), over keypoints confident in both.

    mean(exp(-d^2 / (2 (sigma s)^2))) with s^2 the area of ``b_box`` and one sigma for every
    keypoint (``OKS_SIGMA``); None when fewer than ``OKS_MIN_SHARED`` keypoints are confident in both.
    """
    shared = (np.asarray(a_scores) >= OKS_SCORE_THRESHOLD) & (np.asarray(b_scores) >= OKS_SCORE_THRESHOLD)
    if shared.sum() < OKS_MIN_SHARED:
        return None
    area = max(float((b_box[2] - b_box[0]) * (b_box[3] - b_box[1])), 1.0)
    squared = np.sum((np.asarray(a_points, np.float64)[shared] - np.asarray(b_points, np.float64)[shared]) ** 2, axis=1)
    return float(np.mean(np.exp(-squared / (2.0 * OKS_SIGMA**2 * area))))


@dataclass
class Track:
    """One person followed over time; ``box`` and ``time`` are from the frame it was last seen in."""

    track_id: int
    box: np.ndarray
    time: float
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(4))
    keypoints: np.ndarray | None = None
    keypoint_scores: np.ndarray | None = None
    missed: int = 0

    def predicted_box(self, timestamp: float) -> np.ndarray:
        """The box moved by the track's velocity to ``timestamp``."""
        return self.box + self.velocity * (timestamp - self.time)

    def predicted_keypoints(self, timestamp: float) -> np.ndarray | None:
        """The last keypoints moved with the predicted box centre."""
        if self.keypoints is None:
            return None
        shift = (self.velocity[:2] + self.velocity[2:]) / 2 * (timestamp - self.time)
        return self.keypoints + shift


class PersonTracker:
    """``update(boxes, timestamp, keypoints, keypoint_scores) -> track IDs``, one per box, from 1 up."""

    def __init__(self, min_similarity: float = MIN_SIMILARITY, max_missed: int = MAX_MISSED) -> None:
        self.min_similarity = min_similarity
        self.max_missed = max_missed
        self.tracks: list[Track] = []
        self.ended: list[int] = []
        self._next_id = 1

    def reset(self) -> None:
        """End every track; IDs keep counting up so an old ID never names a new person."""
        self.ended = [track.track_id for track in self.tracks]
        self.tracks = []

    def similarity(
        self, boxes: np.ndarray, timestamp: float, keypoints: np.ndarray | None, keypoint_scores: np.ndarray | None
    ) -> np.ndarray:
        """(tracks, boxes) matrix: IoU of the predicted box, averaged with the OKS of the predicted keypoints where defined."""
        predicted = np.array([track.predicted_box(timestamp) for track in self.tracks]).reshape(-1, 4)
        scores = box_iou(predicted, boxes)
        if keypoints is None or keypoint_scores is None:
            return scores
        for row, track in enumerate(self.tracks):
            track_points = track.predicted_keypoints(timestamp)
            if track_points is None or track.keypoint_scores is None:
                continue
            for column in range(len(boxes)):
                oks = keypoint_similarity(
                    track_points, track.keypoint_scores, keypoints[column], keypoint_scores[column], boxes[column]
                )
                if oks is not None:
                    scores[row, column] = (scores[row, column] + oks) / 2
        return scores

    def update(
        self,
        boxes: np.ndarray,
        timestamp: float,
        keypoints: np.ndarray | None = None,
        keypoint_scores: np.ndarray | None = None,
    ) -> np.ndarray:
        """Match this frame's person ``boxes`` (N, 4+) xyxy to the tracks; returns their IDs (N,) int64.

        ``ended`` then lists the IDs of the tracks that ended at this frame.
        """
        boxes = np.asarray(boxes, dtype=np.float64)
        boxes = boxes.reshape(-1, boxes.shape[-1])[:, :4] if boxes.size else np.zeros((0, 4))
        scores = self.similarity(boxes, timestamp, keypoints, keypoint_scores)
        from scipy.optimize import linear_sum_assignment  # imported on use: scipy's import adds warnings filters

        rows, columns = linear_sum_assignment(scores, maximize=True)
        ids = np.zeros(len(boxes), dtype=np.int64)
        matched_tracks = set()
        for row, column in zip(rows.tolist(), columns.tolist()):
            if scores[row, column] < self.min_similarity:
                continue
            self._follow(self.tracks[row], boxes[column], timestamp, keypoints, keypoint_scores, column)
            ids[column] = self.tracks[row].track_id
            matched_tracks.add(row)
        for column in np.nonzero(ids == 0)[0].tolist():
            track = Track(self._next_id, boxes[column].copy(), timestamp)
            self._set_keypoints(track, keypoints, keypoint_scores, column)
            self.tracks.append(track)
            ids[column] = track.track_id
            self._next_id += 1
            matched_tracks.add(len(self.tracks) - 1)
        self._age(matched_tracks)
        return ids

    def _follow(
        self,
        track: Track,
        box: np.ndarray,
        timestamp: float,
        keypoints: np.ndarray | None,
        keypoint_scores: np.ndarray | None,
        column: int,
    ) -> None:
        dt = timestamp - track.time
        if dt > 0:
            track.velocity = VELOCITY_MOMENTUM * track.velocity + (1 - VELOCITY_MOMENTUM) * (box - track.box) / dt
        track.box, track.time, track.missed = box.copy(), timestamp, 0
        self._set_keypoints(track, keypoints, keypoint_scores, column)

    @staticmethod
    def _set_keypoints(track: Track, keypoints: np.ndarray | None, scores: np.ndarray | None, column: int) -> None:
        if keypoints is not None and scores is not None:
            track.keypoints = np.asarray(keypoints[column], dtype=np.float64)
            track.keypoint_scores = np.asarray(scores[column], dtype=np.float64)

    def _age(self, matched: set[int]) -> None:
        for index, track in enumerate(self.tracks):
            if index not in matched:
                track.missed += 1
        self.ended = [track.track_id for track in self.tracks if track.missed > self.max_missed]
        self.tracks = [track for track in self.tracks if track.missed <= self.max_missed]


def boxes_from_keypoints(
    keypoints: np.ndarray, scores: np.ndarray, threshold: float = OKS_SCORE_THRESHOLD, min_points: int = OKS_MIN_SHARED
) -> np.ndarray:
    """(M, 5) boxes around each person's confident keypoints (N, K, 2), score = mean confident score.

    Top-down trackers crop the next frame where the person was: the box of the keypoints, grown by
    ``KEYPOINT_BOX_MARGIN`` on each side (keypoints stop short of the head top and the hands' ends);
    the crop adds its own padding. People with fewer than ``min_points`` confident keypoints give none.
    """
    boxes = []
    for points, point_scores in zip(np.asarray(keypoints, np.float64), np.asarray(scores, np.float64)):
        confident = point_scores >= threshold
        if confident.sum() < min_points:
            continue
        low, high = points[confident].min(axis=0), points[confident].max(axis=0)
        margin = (high - low) * KEYPOINT_BOX_MARGIN
        boxes.append([*(low - margin), *(high + margin), point_scores[confident].mean()])
    return np.asarray(boxes, dtype=np.float32).reshape(-1, 5)
