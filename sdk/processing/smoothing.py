"""Keypoint smoothing for video: one One-Euro filter per tracked person, parameters per keypoint group.

The 308 keypoints fall into three groups that move differently: the body (COCO-17, feet, elbows,
neck, wrists), the hands (finger joints: small, fast, jittery) and the face (slow, small jitter
that shows). A model's own keypoint set (e.g. MediaPipe's 33) is grouped by the words of its
names (split at ``_``): thumb, finger, pinky or index (not of a foot) make a hand keypoint, nose,
eye, ear, mouth, lip, brow make a face keypoint, the rest are body. Speeds are divided by the person's box height, so ``beta`` is in Hz per (person
heights per second) and the same defaults suit a close-up and a far pedestrian. The defaults come
from the synthetic and MediaPipe measurements in docs/video.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

from .metadata import keypoint_metadata
from .one_euro import OneEuroFilter, OneEuroParams

KEYPOINT_GROUPS = ("body", "hands", "face")
DEFAULT_SMOOTHING: Mapping[str, OneEuroParams] = {
    "body": OneEuroParams(min_cutoff=0.5, beta=5.0, d_cutoff=1.0),
    "hands": OneEuroParams(min_cutoff=0.5, beta=10.0, d_cutoff=1.0),
    "face": OneEuroParams(min_cutoff=0.3, beta=8.0, d_cutoff=1.0),
}
_FIRST_FACE_KEYPOINT = "center_of_glabella"  # keypoints from here on are the dense face set
_HAND_WORDS = {"thumb", "finger", "pinky", "index"}
_FOOT_WORDS = {"foot", "toe"}
_FACE_WORDS = {"nose", "eye", "ear", "mouth", "lip", "lips", "brow", "eyebrow"}


def _official_groups() -> tuple[str, ...]:
    names = keypoint_metadata().names
    first_face = names.index(_FIRST_FACE_KEYPOINT)

    def group(index: int, name: str) -> str:
        if index >= first_face:
            return "face"
        return "hands" if "thumb" in name or "finger" in name else "body"

    return tuple(group(index, name) for index, name in enumerate(names))


def _group_by_words(name: str) -> str:
    words = set(re.split(r"[_\s\-]+", name.lower()))
    if words & _HAND_WORDS and not words & _FOOT_WORDS:
        return "hands"
    return "face" if words & _FACE_WORDS else "body"


@lru_cache(maxsize=8)
def keypoint_groups(names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The group ("body", "hands" or "face") of each keypoint of ``names`` (default: the 308), in channel order."""
    if names is None or names == keypoint_metadata().names:
        return _official_groups()
    return tuple(_group_by_words(name) for name in names)


def per_keypoint_params(
    groups: Iterable[str], params: Mapping[str, OneEuroParams] = DEFAULT_SMOOTHING
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(K, 1) arrays of min_cutoff, beta and d_cutoff, one row per keypoint, from its group's parameters."""
    rows = [params[group] for group in groups]
    columns = ([p.min_cutoff for p in rows], [p.beta for p in rows], [p.d_cutoff for p in rows])
    return tuple(np.asarray(column, dtype=np.float64)[:, None] for column in columns)  # type: ignore[return-value]


class PoseSmoother:
    """Smooths the keypoints of tracked people: ``smooth(track_ids, keypoints, boxes, timestamp)``.

    Each track ID gets its own filter, created on first sight and dropped by ``forget``; ``reset``
    drops them all (e.g. after a seek or a scene cut).
    """

    def __init__(
        self, params: Mapping[str, OneEuroParams] = DEFAULT_SMOOTHING, groups: Iterable[str] | None = None
    ) -> None:
        self._params = per_keypoint_params(keypoint_groups() if groups is None else groups, params)
        self._filters: dict[int, OneEuroFilter] = {}

    def smooth(self, track_ids: np.ndarray, keypoints: np.ndarray, boxes: np.ndarray, timestamp: float) -> np.ndarray:
        """Smoothed copy of ``keypoints`` (N, K, 2) for people ``track_ids`` (N,) with boxes (N, 4) xyxy."""
        smoothed = np.asarray(keypoints, dtype=np.float32).copy()
        for row, track_id in enumerate(np.asarray(track_ids).tolist()):
            track_filter = self._filters.get(track_id)
            if track_filter is None:
                track_filter = self._filters[track_id] = OneEuroFilter(*self._params)
            height = max(float(boxes[row][3] - boxes[row][1]), 1.0)
            smoothed[row] = track_filter(keypoints[row], timestamp, speed_scale=height)
        return smoothed

    def forget(self, track_ids: Iterable[int]) -> None:
        """Drop the filters of tracks that ended."""
        for track_id in track_ids:
            self._filters.pop(int(track_id), None)

    def reset(self) -> None:
        """Drop every filter: the next frame passes through unchanged."""
        self._filters.clear()
