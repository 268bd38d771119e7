"""``sapiens2 predict``: overlays and JSON for images; annotated videos and JSON Lines for videos and cameras.

Choices for careless input (README, "Command line"): ``--out`` is checked before the model loads;
results are named collision-free (``output_names``) and never replace earlier ones without
``--overwrite``; one result's files are published together; an explicitly empty box list means no
people; a video that ends before its announced frame count is a warning (exit 0), one that yields
no frame an error (exit 2).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from tqdm import tqdm

from sapiens2.api import RANDOM_WEIGHTS_WARNING, load
from sapiens2.errors import UserError
from sapiens2.models import TASKS
from sapiens2.processing import HogPersonDetector, load_image

from .inputs import InputItem, classify_inputs, read_boxes_file
from .output_names import output_stems
from .outputs import check_output_folder
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
    pose.add_argument("--boxes", help="JSON person boxes: a list of [x1,y1,x2,y2(,score)], or {input: boxes}; [] means no people")
    pose.add_argument("--detector", choices=("none", "hog"), default="none", help="person detector when no boxes are given "
                      "(default none: the whole image is one person)")
    pose.add_argument("--flip", action="store_true", help="flip test: average with the mirrored prediction")
    out = parser.add_argument_group("output")
    out.add_argument("--out", "-o", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    out.add_argument("--overwrite", action="store_true", help="replace results of an earlier run in --out (refused by default)")
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


def _pipeline_options(args: argparse.Namespace) -> dict[str, Any]:
    """Only the pose options the user set: the predictor refuses them clearly for other tasks."""
    options: dict[str, Any] = {}
    if args.flip:
        options["flip"] = True
    if args.detector == "hog":
        options["detector"] = HogPersonDetector()
    return options


def _refuse_existing(out: Path, items: list[InputItem], stems: list[str], task: str) -> None:
    """Results of an earlier run in ``out`` are not replaced without --overwrite; say so before any model runs."""
    for item, stem in zip(items, stems):
        first = out / (f"{stem}_{task}.json" if item.kind == "image" else f"{stem}_{task}.jsonl")
        if first.exists():
            raise UserError(
                f"{first} (the result for {item.text}) already exists: "
                "pass --overwrite to replace earlier results, or choose another --out"
            )


def run(args: argparse.Namespace) -> int:
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be positive, got {args.max_frames}")
    if args.every < 1:
        raise UserError(f"--every must be positive, got {args.every}")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be positive, got {args.batch_size}")
    out = check_output_folder(args.out)
    items = classify_inputs(args.inputs)
    stems = output_stems(items)
    boxes = read_boxes_file(args.boxes, items) if args.boxes else {}
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
            **_pipeline_options(args),
        )
    if predictor.task != "pose" and args.boxes:
        raise UserError(f"--boxes applies to pose, but this is a {predictor.task} model")
    if not args.overwrite:
        _refuse_existing(out, items, stems, predictor.task)
    written, files = 0, 0
    images = [(item, stem) for item, stem in zip(items, stems) if item.kind == "image"]
    with tqdm(total=len(images), unit="image", file=sys.stderr, disable=None if images else True) as progress:
        for item, stem in images:
            image = load_image(item.text)
            kwargs = {"boxes": boxes[item.text]} if item.text in boxes else {}
            try:
                result = predictor.predict(image, color_order="bgr", **kwargs)
                result.meta["input"] = item.text
                files += len(result.save(out, stem, image, overwrite=args.overwrite))
            except UserError as error:
                raise UserError(f"{item.text}: {error}") from None
            if args.json:
                print(result.to_json(), flush=True)
            written += 1
            progress.update(1)
    for item, stem in zip(items, stems):
        if item.kind != "image":
            frames, video_files = predict_video_item(predictor, item, stem, args, boxes.get(item.text))
            written, files = written + frames, files + video_files
    print(f"wrote {written} {predictor.task} result(s) ({files} files) to {out}/", file=sys.stderr)
    return 0
