"""Write the golden vectors that the Android and iOS ports test their processing code against.

Run ``python tests/golden/generate.py [OUT_DIR]`` (default: this folder). Every number comes from
``sapiens2.processing``, which is itself tested against the official fixtures; README.md here
describes each file's fields. Inputs are stored in the files, so ports never regenerate them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sapiens2.processing import (
    TopdownCrop,
    colorize_labels,
    decode_udp_heatmaps,
    heatmap_maxima,
    letterbox,
    normalize,
    overlay_segmentation,
    stretch_resize,
)
from sapiens2.processing.one_euro import OneEuroFilter
from sapiens2.processing.smoothing import DEFAULT_SMOOTHING, keypoint_groups
from sapiens2.processing.tracking import (
    MAX_MISSED,
    MIN_SIMILARITY,
    OKS_MIN_SHARED,
    OKS_SCORE_THRESHOLD,
    OKS_SIGMA,
    VELOCITY_MOMENTUM,
    PersonTracker,
)

HERE = Path(__file__).resolve().parent
_INTERPOLATION_NAMES = {cv2.INTER_AREA: "area", cv2.INTER_CUBIC: "cubic"}


def _tiny_image(height: int, width: int, seed: int) -> np.ndarray:
    """A smooth colour pattern plus a little noise: interpolation differences show, values stay exact."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    pattern = np.stack([x / width, y / height, 0.5 + 0.5 * np.sin(x * 0.7 + y * 0.4)], axis=-1) * 200
    return np.clip(pattern + rng.integers(0, 55, size=(height, width, 3)), 0, 255).astype(np.uint8)


def resize_normalize_cases() -> dict[str, Any]:
    """Stretch (shrinking and enlarging) and letterbox resizes of one tiny image, then normalisation."""
    image = _tiny_image(5, 7, seed=0)
    cases: dict[str, Any] = {"input": {"image_bgr": image.tolist()}}
    for name, input_size in (("stretch_shrink", (4, 6)), ("stretch_enlarge", (10, 8))):
        resized = stretch_resize(image, input_size)
        cases[name] = {
            "input_size_wh": list(input_size),
            "interpolation": "area" if input_size[0] < image.shape[1] else "cubic",
            "resized_bgr": resized.tolist(),
            "normalized_nchw": normalize(resized).tolist(),
        }
    padded, box = letterbox(image, (6, 6))
    cases["letterbox"] = {
        "input_size_wh": [6, 6],
        "interpolation": "linear",
        "content_shape_hw": list(box.content_shape),
        "padding_lrtb": list(box.padding),
        "resized_bgr": padded.tolist(),
        "normalized_nchw": normalize(padded).tolist(),
    }
    return cases


def affine_crop_cases() -> dict[str, Any]:
    """UDP top-down crops of one image: a shrinking one (INTER_AREA) and an enlarging one (INTER_CUBIC)."""
    image = _tiny_image(24, 32, seed=1)
    cases: dict[str, Any] = {"input": {"image_bgr": image.tolist()}}
    points = np.array([[6.0, 4.0], [13.25, 12.5], [20.0, 21.0], [0.0, 0.0], [31.0, 23.0]], dtype=np.float32)
    decoded = np.array([[0.0, 0.0], [6.0, 8.0], [12.0, 16.0]], dtype=np.float32)
    for name, box, input_size in (("shrink", (6, 4, 20, 21), (12, 16)), ("enlarge", (10, 6, 16, 14), (24, 32))):
        crop = TopdownCrop.from_box(np.array(box, dtype=np.float32), input_size)
        matrix = crop.matrix
        cases[name] = {
            "bbox_xyxy": list(box),
            "input_size_wh": list(input_size),
            "bbox_center": crop.center.tolist(),
            "bbox_scale": crop.scale.tolist(),
            "matrix": matrix.tolist(),
            "interpolation": _INTERPOLATION_NAMES[
                cv2.INTER_AREA if min(matrix[0, 0], matrix[1, 1]) < 1 else cv2.INTER_CUBIC
            ],
            "crop_bgr": crop.warp(image).tolist(),
            "points_image": points.tolist(),
            "points_crop": crop.image_to_crop(points).tolist(),
            "decoded_keypoints": (decoded * np.array(input_size, np.float32) / 12).tolist(),
            "decoded_keypoints_image": crop.keypoints_to_image(
                decoded * np.array(input_size, np.float32) / 12
            ).tolist(),
        }
    return cases


def _gaussian(height: int, width: int, x: float, y: float, sigma: float, amplitude: float) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    return amplitude * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma**2))


def heatmap_decode_cases() -> dict[str, Any]:
    """Four 16x12 heatmaps: an interior peak, a noisy peak, a border peak, and no positive response."""
    height, width, input_size = 16, 12, (48, 64)
    rng = np.random.default_rng(2)
    heatmaps = np.stack(
        [
            _gaussian(height, width, 4.3, 7.6, 2.0, 0.9),
            _gaussian(height, width, 8.71, 3.18, 1.5, 0.6) + rng.normal(0, 0.02, (height, width)),
            _gaussian(height, width, 0.4, 14.8, 2.0, 1.2),
            -0.1 - 0.05 * rng.random((height, width)),
        ]
    ).astype(np.float32)
    peaks, _ = heatmap_maxima(heatmaps)
    keypoints, scores = decode_udp_heatmaps(heatmaps, input_size)
    return {
        "udp": {
            "input_size_wh": list(input_size),
            "heatmap_size_wh": [width, height],
            "blur_kernel_size": 11,
            "heatmaps": heatmaps.tolist(),
            "integer_peaks": peaks.tolist(),
            "keypoints": keypoints.tolist(),
            "scores": scores.tolist(),
        }
    }


def seg_colorize_cases() -> dict[str, Any]:
    """Every class id once (plus repeats) -> palette RGB, and the 50/50 overlay on a tiny image."""
    labels = np.concatenate([np.arange(29), [0, 15, 28]]).reshape(4, 8).astype(np.int32)
    image = _tiny_image(4, 8, seed=3)
    return {
        "colorize": {
            "labels": labels.tolist(),
            "colors_rgb": colorize_labels(labels).tolist(),
            "image_bgr": image.tolist(),
            "overlay_bgr": overlay_segmentation(image, labels).tolist(),
        }
    }


def _one_euro_case(
    params: tuple[float, float, float], speed_scale: float, times: np.ndarray, values: np.ndarray, reset_at: int | None = None
) -> dict[str, Any]:
    one_euro = OneEuroFilter(*params)
    outputs = []
    for index, (time, value) in enumerate(zip(times.tolist(), values)):
        if index == reset_at:
            one_euro.reset()
        outputs.append(one_euro(value, time, speed_scale).tolist())
    return {
        "min_cutoff": params[0],
        "beta": params[1],
        "d_cutoff": params[2],
        "speed_scale": speed_scale,
        "reset_before": [] if reset_at is None else [reset_at],
        "timestamps": times.tolist(),
        "inputs": values.tolist(),
        "outputs": outputs,
    }


def one_euro_cases() -> dict[str, Any]:
    """Noisy still and moving points at irregular times (a repeated time, a dropped frame), and a reset."""
    rng = np.random.default_rng(4)
    times = np.cumsum(np.r_[0.0, rng.uniform(0.02, 0.05, 23)])
    times[7] = times[6]  # a repeated timestamp: the previous output is returned
    times[12:] += 0.2  # dropped frames
    still = np.array([[120.0, 80.0]]) + rng.normal(0.0, 1.5, (24, 1, 2))
    moving = np.stack([40.0 + 300.0 * times, 90.0 + 40.0 * np.sin(6.0 * times)], axis=1)[:, None] + rng.normal(0, 1.0, (24, 1, 2))
    return {
        "still": _one_euro_case((0.5, 5.0, 1.0), 150.0, times, still),
        "moving": _one_euro_case((0.5, 5.0, 1.0), 150.0, times, moving),
        "no_beta_reset": _one_euro_case((1.0, 0.0, 1.0), 1.0, times, moving, reset_at=15),
        "defaults": {
            "groups": list(keypoint_groups()),
            **{f"{group}_params": [p.min_cutoff, p.beta, p.d_cutoff] for group, p in DEFAULT_SMOOTHING.items()},
        },
    }


def _tracker_case(frames: list[dict[str, Any]]) -> dict[str, Any]:
    tracker = PersonTracker()
    for frame in frames:
        keypoints = np.asarray(frame["keypoints"]) if "keypoints" in frame else None
        scores = np.asarray(frame["keypoint_scores"]) if "keypoint_scores" in frame else None
        frame["expected_ids"] = tracker.update(np.asarray(frame["boxes"]), frame["timestamp"], keypoints, scores).tolist()
        frame["expected_ended"] = list(tracker.ended)
    return {"frames": frames}


def tracker_cases() -> dict[str, Any]:
    """Two people crossing (motion prediction keeps their IDs), missed frames and track ends, and
    two people behind one another whose boxes agree but whose keypoints (OKS) tell them apart."""
    crossing = []
    for step in range(20):
        time = round(step / 10, 6)
        a = [20.0 + 30 * step, 50.0, 80.0 + 30 * step, 200.0]
        b = [420.0 - 30 * step, 60.0, 480.0 - 30 * step, 205.0]
        boxes = [b, a] if step % 2 else [a, b]
        if step == 6:
            boxes = [b]  # a is missed while they overlap
        if step >= 9:
            boxes = [a, [600.0, 40.0, 640.0, 150.0]] if step < 11 else [[600.0, 40.0, 640.0, 150.0]]
        crossing.append({"timestamp": time, "boxes": boxes})
    rng = np.random.default_rng(5)
    front = rng.uniform(100, 200, (6, 2))
    back = rng.uniform(100, 200, (6, 2))
    stacked = []
    for step in range(4):
        shift = np.array([2.0 * step, 0.0])
        people = [(front + shift, [1.0] * 5 + [0.1]), (back - shift, [0.9] * 6)]
        order = people[::-1] if step % 2 else people
        stacked.append({
            "timestamp": step / 30,
            "boxes": [[95.0, 95.0, 205.0, 205.0], [96.0, 95.0, 206.0, 205.0]],
            "keypoints": [p.tolist() for p, _ in order],
            "keypoint_scores": [s for _, s in order],
        })
    return {
        "parameters": {
            "min_similarity": MIN_SIMILARITY,
            "max_missed": MAX_MISSED,
            "velocity_momentum": VELOCITY_MOMENTUM,
            "oks_sigma": OKS_SIGMA,
            "oks_score_threshold": OKS_SCORE_THRESHOLD,
            "oks_min_shared": OKS_MIN_SHARED,
        },
        "crossing": _tracker_case(crossing),
        "keypoints": _tracker_case(stacked),
    }


GOLDEN_FILES: dict[str, Callable[[], dict[str, Any]]] = {
    "resize_normalize.json": resize_normalize_cases,
    "affine_crop.json": affine_crop_cases,
    "heatmap_decode.json": heatmap_decode_cases,
    "seg_colorize.json": seg_colorize_cases,
    "one_euro.json": one_euro_cases,
    "tracker.json": tracker_cases,
}


def _dump(cases: dict[str, Any]) -> str:
    """Two levels of keys, one field per line, arrays compact: small files with readable diffs."""
    blocks = []
    for case, fields in cases.items():
        lines = ",\n".join(
            f"    {json.dumps(key)}: {json.dumps(value, separators=(',', ':'))}" for key, value in fields.items()
        )
        blocks.append(f"  {json.dumps(case)}: {{\n{lines}\n  }}")
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def write_golden(directory: Path) -> list[Path]:
    """Write every golden file into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make_cases in GOLDEN_FILES.items():
        path = directory / name
        path.write_text(_dump(make_cases()), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_golden(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written_path)
