"""``sapiens2 demo``: pose and segmentation on the packaged sample image, end to end, in seconds.

With ``--pose-checkpoint`` / ``--seg-checkpoint`` it runs real weights; without them it runs an
untrained 0.1B (Sapiens2 weights are not shipped), which exercises every step and says loudly
that the pictures are meaningless.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from sapiens2.api import RANDOM_WEIGHTS_WARNING, load
from sapiens2.processing import load_image
from sapiens2.samples import packaged_data_dir

from .outputs import check_output_folder
from .sizes import parse_size

DEMO_ARCH = "sapiens2_0.1b"
DEMO_INPUT_SIZE = (512, 384)


def sample_image_path() -> Path:
    """The packaged sample photo of a person (see ``sapiens2/data/README.md``)."""
    return packaged_data_dir() / "images" / "astronaut.png"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="pose + seg on the packaged sample image (no download needed)")
    parser.add_argument("--image", help="an image of your own instead of the packaged sample")
    parser.add_argument("--pose-checkpoint", help="a pose checkpoint (else an untrained 0.1B)")
    parser.add_argument("--seg-checkpoint", help="a seg checkpoint (else an untrained 0.1B)")
    parser.add_argument("--input-size", type=parse_size, help="model input HxW for untrained models (default 512x384)")
    parser.add_argument("--out", "-o", default="sapiens2_demo", help="output folder (default ./sapiens2_demo)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    image_path = args.image or str(sample_image_path())
    image = load_image(image_path)
    out = check_output_folder(args.out)
    for task, checkpoint in (("pose", args.pose_checkpoint), ("seg", args.seg_checkpoint)):
        if checkpoint is None:
            print(f"\033[1;31mWARNING ({task}): {RANDOM_WEIGHTS_WARNING}\033[0m", file=sys.stderr)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="RANDOM WEIGHTS")
                predictor = load(arch=DEMO_ARCH, task=task, random_weights=True, input_size=args.input_size or DEMO_INPUT_SIZE)
        else:
            predictor = load(checkpoint, input_size=args.input_size)
        result = predictor.predict(image, color_order="bgr")
        result.meta["input"] = image_path
        paths = result.save(out, Path(image_path).stem, image)
        print(f"{task}: {paths['png']}  {paths['json']}")
    return 0
