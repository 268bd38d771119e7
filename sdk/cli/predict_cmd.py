"""``sapiens2 predict``: overlays and JSON for images, videos and cameras, from a checkpoint or bundle.

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
from typing import Any, Iterator

import numpy as np
from tqdm import tqdm

from sapiens2.api import RANDOM_WEIGHTS_WARNING, load
from sapiens2.errors import UserError
from sapiens2.models import TASKS
from sapiens2.processing import HogPersonDetector, iter_camera, iter_video, load_image

from .inputs import InputItem, classify_inputs, read_boxes_file
from .output_names import output_stems
from .outputs import check_output_folder
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
    source.add_argument("--batch-size", type=int, default=8, help="crops or images per forward pass (default 8)")
    pose = parser.add_argument_group("pose")
    pose.add_argument("--boxes", help="JSON person boxes: a list of [x1,y1,x2,y2(,score)], or {input: boxes}; [] means no people")
    pose.add_argument("--detector", choices=("none", "hog"), default="none", help="person detector when no boxes are given "
                      "(default none: the whole image is one person)")
    pose.add_argument("--flip", action="store_true", help="flip test: average with the mirrored prediction")
    out = parser.add_argument_group("output")
    out.add_argument("--out", "-o", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    out.add_argument("--overwrite", action="store_true", help="replace results of an earlier run in --out (refused by default)")
    out.add_argument("--json", action="store_true", help="also print each result as one JSON line on stdout")
    out.add_argument("--max-frames", type=int, help="frames to read from each video or camera")
    parser.set_defaults(func=run)


def _frames(item: InputItem, stem: str, max_frames: int | None) -> Iterator[tuple[str, np.ndarray]]:
    if item.kind == "image":
        yield stem, load_image(item.text)
        return
    frames = iter_camera(item.camera_index, max_frames) if item.kind == "camera" else iter_video(item.text, max_frames)
    for index, frame in enumerate(frames):
        yield frame_stem(stem, index), frame


def frame_stem(stem: str, index: int) -> str:
    return f"{stem}_{index:05d}"


def _total(items: list[InputItem], max_frames: int | None) -> int | None:
    counts = [item.frame_count(max_frames) for item in items]
    return None if None in counts else sum(counts)


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
        first = stem if item.kind == "image" else frame_stem(stem, 0)
        if (out / f"{first}_{task}.json").exists():
            raise UserError(
                f"{out / f'{first}_{task}.json'} (the result for {item.text}) already exists: "
                "pass --overwrite to replace earlier results, or choose another --out"
            )


def _check_frames(item: InputItem, decoded: int, expected: int | None) -> None:
    """A video that yields no frame is an error; one that ends before its header's frame count, a warning."""
    if item.kind == "image":
        return
    if decoded == 0:
        raise UserError(f"{item.text}: no frame could be decoded (is the file complete and in a codec OpenCV reads?)")
    if expected is not None and decoded < expected:
        print(
            f"sapiens2 predict: warning: {item.text} ended after {decoded} of {expected} expected frames "
            "(truncated or partly corrupt); the frames decoded were written",
            file=sys.stderr,
        )


def run(args: argparse.Namespace) -> int:
    if args.max_frames is not None and args.max_frames < 1:
        raise UserError(f"--max-frames must be positive, got {args.max_frames}")
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
            args.checkpoint,
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
    written, files, published = 0, 0, set()
    with tqdm(total=_total(items, args.max_frames), unit="image", file=sys.stderr, disable=None) as progress:
        for item, stem in zip(items, stems):
            decoded = 0
            for result_stem, image in _frames(item, stem, args.max_frames):
                decoded += 1
                if result_stem in published:
                    raise UserError(f"{item.text}: its result name {result_stem!r} was already used in this run")
                kwargs = {"boxes": boxes[item.text]} if item.text in boxes else {}
                try:
                    result = predictor.predict(image, color_order="bgr", **kwargs)
                    result.meta["input"] = item.text
                    files += len(result.save(out, result_stem, image, overwrite=args.overwrite))
                except UserError as error:
                    raise UserError(f"{item.text}: {error}") from None
                published.add(result_stem)
                if args.json:
                    print(result.to_json(), flush=True)
                written += 1
                progress.update(1)
            _check_frames(item, decoded, item.frame_count(args.max_frames) if item.kind == "video" else None)
    print(f"wrote {written} {predictor.task} result(s) ({files} files) to {out}/", file=sys.stderr)
    return 0
