"""``sapiens2 label``: pseudo-label images and videos with a teacher that ships its weights, as a COCO dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

from sapiens2.bench.mediapipe_baseline import DEFAULT_VENV

TEACHERS = ("mediapipe",)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("label", help="pseudo-label images/videos with a teacher into a COCO keypoint dataset")
    parser.add_argument("inputs", nargs="+", help="images and videos to label")
    parser.add_argument("--out", "-o", required=True, help="dataset folder: frames/, annotations.json (and masks/ with --masks)")
    parser.add_argument("--teacher", choices=TEACHERS, default="mediapipe", help="the teacher (default mediapipe: BlazePose, 33 keypoints)")
    parser.add_argument("--every", type=int, default=1, help="take one video frame in N (default 1)")
    parser.add_argument("--max-side", type=int, default=640, help="downscale saved frames to this longest side (default 640)")
    parser.add_argument("--masks", action="store_true", help="also save person masks (labels 0/1) for a segmentation dataset")
    parser.add_argument("--venv", default=str(DEFAULT_VENV), help=f"MediaPipe's own virtual environment (made if missing; default {DEFAULT_VENV})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sapiens2.train.labeling import label_with_mediapipe

    path = label_with_mediapipe([Path(p) for p in args.inputs], Path(args.out), args.every, args.max_side, args.masks, args.venv)
    print(f"labels: {path}")
    return 0
