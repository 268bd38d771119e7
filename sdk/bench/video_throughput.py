"""Frames per second of the video path (background decoding, batched frames) against single-frame predict.

Both read the same frames of the same video with the same predictor and person boxes; single-frame
predict decodes, then runs, one frame at a time. The two alternate (A B A B) so that load from other
processes hits both alike. ``python -m sapiens2.bench.video_throughput VIDEO --arch sapiens2_0.1b
--task pose --input-size 256x192`` (random weights are fine for timing) prints one JSON row.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from ..api import load
from ..predictor import Predictor
from ..processing.inputs import iter_video


def single_frame_fps(predictor: Predictor, video: str, frames: int, boxes: Any = None) -> float:
    """Frames/s of decode-then-predict, one frame at a time."""
    started = time.perf_counter()
    count = 0
    for frame in iter_video(video, frames):
        predictor.predict(frame, boxes=boxes, color_order="bgr")
        count += 1
    return count / (time.perf_counter() - started)


def video_path_fps(predictor: Predictor, video: str, frames: int, boxes: Any = None) -> float:
    """Frames/s of ``predict_video`` (decoding thread, ``predictor.batch_size`` frames per call, tracking, smoothing)."""
    started = time.perf_counter()
    count = sum(1 for _ in predictor.predict_video(video, max_frames=frames, boxes=boxes))
    return count / (time.perf_counter() - started)


def compare(predictor: Predictor, video: str, frames: int, rounds: int = 2, boxes: Any = None) -> dict[str, float]:
    """Median frames/s of both paths over ``rounds`` alternations, after one warm-up frame."""
    predictor.predict(next(iter_video(video, 1)), boxes=boxes, color_order="bgr")
    single, batched = [], []
    for _ in range(rounds):
        single.append(single_frame_fps(predictor, video, frames, boxes))
        batched.append(video_path_fps(predictor, video, frames, boxes))
    return {
        "single_frame_fps": float(np.median(single)),
        "video_path_fps": float(np.median(batched)),
        "speedup": float(np.median(batched) / np.median(single)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video")
    parser.add_argument("--checkpoint", "-c", help="checkpoint or bundle (default: random weights of --arch)")
    parser.add_argument("--arch", default="sapiens2_0.1b")
    parser.add_argument("--task", default="pose")
    parser.add_argument("--input-size", type=lambda text: tuple(int(side) for side in text.split("x")), default=(256, 192))  # HxW
    parser.add_argument("--batch", type=int, default=8, help="frames per forward pass on the video path")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    random = args.checkpoint is None
    predictor = load(args.checkpoint, arch=args.arch if random else None, task=args.task if random else None,
                     random_weights=random, input_size=args.input_size, batch_size=args.batch)
    figures = compare(predictor, args.video, args.frames, args.rounds)
    print(json.dumps({"source": args.checkpoint or args.arch, "task": predictor.task, "input_size": list(args.input_size),
                      "batch": args.batch, "frames": args.frames, **figures}))


if __name__ == "__main__":
    main()
