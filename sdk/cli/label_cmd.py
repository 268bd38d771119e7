"""``sapiens2 label``: pseudo-label images and videos with a teacher (MediaPipe or a Sapiens2 pose model), as a COCO dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

from sapiens2.bench.mediapipe_baseline import DEFAULT_VENV


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("label", help="pseudo-label images/videos with a teacher into a COCO keypoint dataset")
    parser.add_argument("inputs", nargs="+", help="images and videos to label")
    parser.add_argument("--out", "-o", required=True, help="dataset folder: frames/, annotations.json (and masks/ with --masks)")
    parser.add_argument("--teacher", default="mediapipe", help="mediapipe (default: BlazePose, 33 keypoints) or a Sapiens2 pose checkpoint or bundle (308 keypoints)")
    parser.add_argument(
        "--detector", choices=("hog", "none"), default=None,
        help="where the people are: hog (OpenCV's HOG detector, one label per person; the default for a Sapiens2 teacher) "
        "or none (the whole frame; the default for MediaPipe, which then labels its most prominent person)",
    )
    parser.add_argument("--every", type=int, default=1, help="take one video frame in N (default 1)")
    parser.add_argument("--max-side", type=int, default=640, help="downscale saved frames to this longest side (default 640)")
    parser.add_argument("--masks", action="store_true", help="mediapipe: also save person masks (labels 0/1) for a segmentation dataset")
    parser.add_argument("--venv", default=str(DEFAULT_VENV), help=f"MediaPipe's own virtual environment (made if missing; default {DEFAULT_VENV})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sapiens2.train.labeling import label_with_mediapipe, label_with_sapiens2

    sources, out = [Path(p) for p in args.inputs], Path(args.out)
    if args.teacher == "mediapipe":
        path = label_with_mediapipe(sources, out, args.every, args.max_side, args.masks, args.venv, args.detector or "none")
    else:
        path = label_with_sapiens2(sources, out, args.teacher, args.every, args.max_side, args.detector or "hog")
    print(f"labels: {path}")
    return 0
