"""Smoothing figures: jitter and lag with and without the One-Euro filter, on known truth and on footage.

Synthetic: keypoints of a still and of a moving subject (known trajectories) plus Gaussian noise,
filtered with each keypoint group's default parameters; the figures are the error reduction on
the still subject and the lag (frames) on the moving one. Footage: people in a video found by the
HOG detector and linked by ``PersonTracker``, their MediaPipe landmarks (a real single-frame pose
model, run in its own environment by ``mediapipe_video_worker.py``) smoothed per track; without
a truth the figures are jitter before and after, and the lag of the smoothed behind the raw.

``python -m sapiens2.bench.video_smoothing [VIDEO ...]`` prints both tables (docs/video.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..processing.detection import HogPersonDetector, filter_boxes
from ..processing.one_euro import OneEuroParams
from ..processing.smoothing import DEFAULT_SMOOTHING, PoseSmoother
from ..processing.tracking import PersonTracker
from ..processing.video_io import VideoSource
from .mediapipe_baseline import DEFAULT_VENV, ensure_venv
from .smoothing_metrics import consecutive_runs, jitter, lag_frames, rms_error

WORKER = Path(__file__).with_name("mediapipe_video_worker.py")
PERSON_HEIGHT = 200.0  # pixels, synthetic subject
NOISE = 0.01  # keypoint noise, standard deviation per coordinate in person heights
MOTIONS: Mapping[str, Callable[[np.ndarray], np.ndarray]] = {
    "still": lambda t: np.zeros_like(t),
    # a limb swinging 0.3 person heights at 1 Hz while the person walks 0.5 heights per second
    "walking": lambda t: 0.3 * np.sin(2 * np.pi * t) + 0.5 * t,
    "fast": lambda t: 0.3 * np.sin(4 * np.pi * t),  # a hand waving at 2 Hz
}
# MediaPipe's 33 landmarks by smoothing group: 17..22 are hand points, the rest body (face 0..10 are coarse).
MEDIAPIPE_GROUPS = tuple("hands" if 17 <= index <= 22 else "body" for index in range(33))
MIN_VISIBILITY = 0.5
MIN_TRACK_FRAMES = 10
DETECTION_WIDTH = 800  # HOG runs on frames shrunk to this width (full HD takes seconds per frame)


def smooth_track(
    points: np.ndarray, times: np.ndarray, heights: np.ndarray, groups: tuple[str, ...], params: Mapping[str, OneEuroParams]
) -> np.ndarray:
    """One person's (T, K, 2) keypoints smoothed frame by frame, as the video path does."""
    smoother = PoseSmoother(params, groups)
    boxes = np.zeros((len(points), 4))
    boxes[:, 3] = heights
    return np.stack([smoother.smooth(np.array([1]), p[None], b[None], t)[0] for p, b, t in zip(points, boxes, times)])


@dataclass(frozen=True)
class SyntheticFigures:
    """One keypoint group on one motion: RMS error vs truth (person heights) raw and smoothed, lag in frames."""

    group: str
    motion: str
    fps: float
    raw_error: float
    smoothed_error: float
    raw_jitter: float
    smoothed_jitter: float
    lag_frames: float


def synthetic_figures(
    group: str, motion: str, fps: float = 30.0, seconds: float = 10.0, points: int = 20, seed: int = 0,
    params: Mapping[str, OneEuroParams] = DEFAULT_SMOOTHING,
) -> SyntheticFigures:
    """Filter ``points`` noisy copies of a known trajectory; the first second (filter warm-up) is not scored."""
    times = np.arange(int(seconds * fps)) / fps
    truth = np.repeat(MOTIONS[motion](times)[:, None, None], points, axis=1).repeat(2, axis=2) * PERSON_HEIGHT
    noisy = truth + np.random.default_rng(seed).normal(0.0, NOISE * PERSON_HEIGHT, truth.shape)
    heights = np.full(len(times), PERSON_HEIGHT)
    smoothed = smooth_track(noisy, times, heights, (group,) * points, params)
    scored = slice(int(fps), None)
    return SyntheticFigures(
        group, motion, fps,
        raw_error=rms_error(noisy[scored], truth[scored], heights[scored]),
        smoothed_error=rms_error(smoothed[scored], truth[scored], heights[scored]),
        raw_jitter=jitter(noisy[scored], heights[scored]),
        smoothed_jitter=jitter(smoothed[scored], heights[scored]),
        lag_frames=lag_frames(smoothed[scored], truth[scored]),
    )


def track_people(video: str | Path, max_frames: int | None = None) -> tuple[dict[int, list[list[float]]], float]:
    """HOG boxes linked by ``PersonTracker``: {frame: [[track_id, x1, y1, x2, y2], ...]} and the frame rate."""
    detector, tracker = HogPersonDetector(), PersonTracker()
    people: dict[int, list[list[float]]] = {}
    with VideoSource(video, max_frames) as source:
        for frame in source:
            shrink = min(1.0, DETECTION_WIDTH / frame.image.shape[1])
            small = cv2.resize(frame.image, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
            boxes = filter_boxes(detector(small))
            boxes[:, :4] /= shrink
            ids = tracker.update(boxes, frame.timestamp)
            people[frame.index] = [[int(i), *map(float, box[:4])] for i, box in zip(ids, boxes)]
        return people, source.info.fps


def mediapipe_landmarks(video: str | Path, people: dict[int, list[list[float]]], venv: str | Path = DEFAULT_VENV) -> list:
    """[[frame, track_id, [[x, y, visibility] x 33]], ...] from the MediaPipe worker in its own environment."""
    python = ensure_venv(venv)
    with tempfile.TemporaryDirectory() as folder:
        people_path, out_path = Path(folder) / "people.json", Path(folder) / "landmarks.json"
        people_path.write_text(json.dumps(people))
        subprocess.run([str(python), str(WORKER), str(video), str(people_path), str(out_path)], check=True)
        return json.loads(out_path.read_text())


def tracks_from_landmarks(landmarks: list, people: dict[int, list[list[float]]]) -> dict[int, dict[str, np.ndarray]]:
    """Per track ID: ``frames`` (T,), ``points`` (T, 33, 2), ``visible`` (T, 33), ``heights`` (T,) box heights."""
    heights = {(frame, int(row[0])): row[4] - row[2] for frame, rows in people.items() for row in rows}
    tracks: dict[int, dict[str, list]] = {}
    for frame, track_id, points in sorted(landmarks):
        track = tracks.setdefault(int(track_id), {"frames": [], "points": [], "visible": [], "heights": []})
        values = np.asarray(points, dtype=np.float64)
        track["frames"].append(frame)
        track["points"].append(values[:, :2])
        track["visible"].append(values[:, 2] >= MIN_VISIBILITY)
        track["heights"].append(heights[(int(frame), int(track_id))])
    return {track_id: {k: np.asarray(v) for k, v in track.items()} for track_id, track in tracks.items()}


def footage_figures(
    tracks: dict[int, dict[str, np.ndarray]], fps: float, params: Mapping[str, OneEuroParams] = DEFAULT_SMOOTHING
) -> dict[str, float]:
    """Jitter raw and smoothed (person heights, over runs of consecutive frames) and the smoothed lag behind raw."""
    raw_parts, smooth_parts, lags, weights = [], [], [], []
    for track in tracks.values():
        if len(track["frames"]) < MIN_TRACK_FRAMES:
            continue
        smoothed = smooth_track(track["points"], track["frames"] / fps, track["heights"], MEDIAPIPE_GROUPS, params)
        for run in consecutive_runs(track["frames"], MIN_TRACK_FRAMES):
            visible, heights = track["visible"][run], track["heights"][run]
            raw_parts.append(jitter(track["points"][run], heights, visible) ** 2)
            smooth_parts.append(jitter(smoothed[run], heights, visible) ** 2)
            lags.append(lag_frames(smoothed[run], track["points"][run], visible))
            weights.append(run.stop - run.start)
    if not weights:
        return {"frames": 0}
    raw, smooth = np.sqrt(np.average(raw_parts, weights=weights)), np.sqrt(np.average(smooth_parts, weights=weights))
    return {
        "frames": int(sum(weights)),
        "raw_jitter": float(raw),
        "smoothed_jitter": float(smooth),
        "jitter_reduction": float(raw / smooth),
        "lag_frames": float(np.average(lags, weights=weights)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", help="videos of people (MediaPipe figures); none: synthetic only")
    parser.add_argument("--max-frames", type=int, help="frames per video")
    parser.add_argument("--venv", default=str(DEFAULT_VENV), help="MediaPipe virtual environment (made when missing)")
    parser.add_argument("--save-tracks", help="write the MediaPipe tracks of the first video as JSON here")
    args = parser.parse_args()
    print("| group | motion | fps | error raw -> smoothed (% height) | jitter raw -> smoothed (% height) | lag (frames) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for group in DEFAULT_SMOOTHING:
        for motion in MOTIONS:
            for fps in (30.0, 10.0):
                f = synthetic_figures(group, motion, fps)
                print(f"| {group} | {motion} | {fps:.0f} | {100 * f.raw_error:.2f} -> {100 * f.smoothed_error:.2f} | "
                      f"{100 * f.raw_jitter:.2f} -> {100 * f.smoothed_jitter:.2f} | {f.lag_frames:.2f} |")
    for index, video in enumerate(args.videos):
        people, fps = track_people(video, args.max_frames)
        landmarks = mediapipe_landmarks(video, people, args.venv)
        if index == 0 and args.save_tracks:
            Path(args.save_tracks).write_text(json.dumps({"fps": fps, "people": people, "landmarks": landmarks}))
        tracks = tracks_from_landmarks(landmarks, {int(k): v for k, v in people.items()})
        print(json.dumps({"video": str(video), "fps": fps, "smoothed": footage_figures(tracks, fps)}))


if __name__ == "__main__":
    main()
