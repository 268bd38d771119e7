"""``sapiens2 demo``: pose and segmentation on the packaged sample image, end to end, in seconds.

Sapiens2 weights are not shipped. Pose runs the tiny demo model that is (a 4 M-parameter student
distilled from MediaPipe's BlazePose by ``scripts/train_demo_model.sh``; ``data/models/README.md``
names its data, teacher and licence), so a newcomer sees keypoints on a person; its output says it
is not Sapiens2. Segmentation, with no shipped weights, runs an untrained 0.1B that exercises every
step and says loudly that its picture is meaningless. ``--pose-checkpoint`` / ``--seg-checkpoint``
run real weights.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np

from sapiens2.api import RANDOM_WEIGHTS_WARNING, load
from sapiens2.processing import load_image
from sapiens2.samples import packaged_data_dir

from .outputs import check_output_folder
from .sizes import parse_size

DEMO_ARCH = "sapiens2_0.1b"
DEMO_INPUT_SIZE = (512, 384)
DEMO_POSE_MODEL = "models/tiny_pose_mediapipe/model.safetensors"
DEMO_POSE_CAPTION = "tiny demo model distilled from MediaPipe BlazePose - not Sapiens2"


def demo_pose_checkpoint() -> Path:
    """The packaged tiny pose student (see ``sapiens2/data/models/README.md``)."""
    return packaged_data_dir() / DEMO_POSE_MODEL


def sample_image_path() -> Path:
    """The packaged sample photo of a person (see ``sapiens2/data/README.md``)."""
    return packaged_data_dir() / "images" / "astronaut.png"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="pose + seg on the packaged sample image (no download needed)")
    parser.add_argument("--image", help="an image of your own instead of the packaged sample")
    parser.add_argument("--pose-checkpoint", help="a pose checkpoint (else the packaged tiny demo model, not Sapiens2)")
    parser.add_argument("--seg-checkpoint", help="a seg checkpoint (else an untrained 0.1B)")
    parser.add_argument("--input-size", type=parse_size, help="model input HxW for untrained models (default 512x384)")
    parser.add_argument("--out", "-o", default="sapiens2_demo", help="output folder (default ./sapiens2_demo)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    image_path = args.image or str(sample_image_path())
    image = load_image(image_path)
    out = check_output_folder(args.out)
    for task, checkpoint in (("pose", args.pose_checkpoint), ("seg", args.seg_checkpoint)):
        shown = image
        if task == "pose" and checkpoint is None:
            predictor = load(demo_pose_checkpoint())
            print(f"pose: {DEMO_POSE_CAPTION} ({demo_pose_checkpoint().parent.name}; pass --pose-checkpoint for Sapiens2 weights)")
            shown = _captioned(image, DEMO_POSE_CAPTION)
        elif checkpoint is None:
            print(f"\033[1;31mWARNING ({task}): {RANDOM_WEIGHTS_WARNING}\033[0m", file=sys.stderr)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="RANDOM WEIGHTS")
                predictor = load(arch=DEMO_ARCH, task=task, random_weights=True, input_size=args.input_size or DEMO_INPUT_SIZE)
        else:
            predictor = load(checkpoint, input_size=args.input_size)
        result = predictor.predict(image, color_order="bgr")
        result.meta["input"] = image_path
        if shown is not image:
            result.meta["model"] = DEMO_POSE_CAPTION
        paths = result.save(out, Path(image_path).stem, shown)
        print(f"{task}: {paths['png']}  {paths['json']}")
    return 0


def _captioned(image: np.ndarray, text: str) -> np.ndarray:
    """The image with ``text`` on a dark band across its top (pixels keep their coordinates), so the picture says what made it."""
    shown = image.copy()
    font, thickness = cv2.FONT_HERSHEY_SIMPLEX, 1
    (width, height), baseline = cv2.getTextSize(text, font, 1.0, thickness)
    scale = 0.94 * image.shape[1] / width
    band = int((height + baseline) * scale) + 8
    shown[:band] = (shown[:band] * 0.35).astype(shown.dtype)
    cv2.putText(shown, text, (int(0.03 * image.shape[1]), band - int(baseline * scale) - 4), font, scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return shown
