"""``sapiens2 predict``: overlays and JSON for images; annotated videos and JSON Lines for videos and cameras."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from tqdm import tqdm

from sapiens2.api import RANDOM_WEIGHTS_WARNING, load
from sapiens2.errors import UserError
from sapiens2.models import TASKS
from sapiens2.processing import HogPersonDetector, load_image

from .inputs import classify_inputs, read_boxes_file
from .predict_video import add_video_arguments, predict_video_item
from .sizes import parse_size

DEFAULT_OUT = "sapiens2_predictions"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "predict",
        help="run a model on images, videos or a camera; write overlays and JSON",
        description="Run pose, seg, normal, pointmap or albedo on images, videos (first --max-frames frames) "
        "or camera:N, from a checkpoint, a compiled bundle, or an untrained model (--random-weights).",
    )
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, video files or camera:N")
    source = parser.add_argument_group("model")
    source.add_argument("--checkpoint", "-c", help="checkpoint file, hf://org/repo/file, or a compiled bundle folder")
    source.add_argument("--arch", help="arch for an untrained model, e.g. sapiens2_0.1b (with --task, --random-weights)")
    source.add_argument("--task", choices=TASKS, help="task for an untrained model")
    source.add_argument("--random-weights", action="store_true", help="allow an untrained model (results are meaningless)")
    source.add_argument("--input-size", type=parse_size, help="model input HxW, e.g. 1024x768 (default: the checkpoint's)")
    source.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    source.add_argument("--batch-size", "--batch", type=int, default=8, help="crops, images or video frames per forward pass (default 8)")
    source.add_argument("--server", help="a `sapiens2 serve` server, e.g. http://127.0.0.1:8000: it runs the model "
                        "(with --model; key from $SAPIENS2_API_KEY)")
    source.add_argument("--model", help="the served model's name (see GET /v1/models), with --server")
    pose = parser.add_argument_group("pose")
    pose.add_argument("--boxes", help="JSON person boxes: a list of [x1,y1,x2,y2(,score)], or {input: boxes}")
    pose.add_argument("--detector", choices=("none", "hog"), default="none", help="person detector when no boxes are given "
                      "(default none: the whole image is one person)")
    pose.add_argument("--flip", action="store_true", help="flip test: average with the mirrored prediction")
    out = parser.add_argument_group("output")
    out.add_argument("--out", "-o", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    out.add_argument("--json", action="store_true", help="also print each result as one JSON line on stdout")
    add_video_arguments(parser)
    parser.set_defaults(func=run)


def served_model_url(args: argparse.Namespace) -> str | None:
    """``--server URL --model NAME`` -> ``URL/v1/models/NAME``; None without --server."""
    if not (args.server or args.model):
        return None
    if not (args.server and args.model):
        raise UserError("--server and --model go together: the server's address and the name of one of its models")
    if args.checkpoint or args.arch or args.random_weights:
        raise UserError("--server runs the server's model: drop --checkpoint, --arch and --random-weights")
    return f"{args.server.rstrip('/')}/v1/models/{args.model}"


def run(args: argparse.Namespace) -> int:
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be positive, got {args.max_frames}")
    if args.every < 1:
        raise UserError(f"--every must be positive, got {args.every}")
    items = classify_inputs(args.inputs)
    boxes = read_boxes_file(args.boxes, items) if args.boxes else {}
    options = {}
    if args.task == "pose" or args.flip or args.detector != "none":
        options = {"flip": args.flip, "detector": HogPersonDetector() if args.detector == "hog" else None}
    if args.random_weights:
        print(f"\033[1;31mWARNING: {RANDOM_WEIGHTS_WARNING}\033[0m", file=sys.stderr)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="RANDOM WEIGHTS")
        predictor = load(
            served_model_url(args) or args.checkpoint,
            arch=args.arch,
            task=args.task,
            random_weights=args.random_weights,
            device=args.device,
            input_size=args.input_size,
            batch_size=args.batch_size,
            **options,
        )
    if predictor.task != "pose" and (args.boxes or args.flip or args.detector != "none"):
        raise UserError(f"--boxes, --flip and --detector apply to pose, but this is a {predictor.task} model")
    out = Path(args.out)
    written = 0
    images = [item for item in items if item.kind == "image"]
    with tqdm(total=len(images), unit="image", file=sys.stderr, disable=None if images else True) as progress:
        for item in images:
            image = load_image(item.text)
            result = predictor.predict(image, color_order="bgr", boxes=boxes.get(item.text))
            result.meta["input"] = item.text
            result.save(out, item.stem, image)
            if args.json:
                print(result.to_json(), flush=True)
            written += 1
            progress.update(1)
    for item in items:
        if item.kind != "image":
            written += predict_video_item(predictor, item, args, boxes.get(item.text))
    print(f"wrote {written} {predictor.task} result(s) to {out}/", file=sys.stderr)
    return 0
