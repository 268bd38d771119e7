"""Held-out PCK@0.1 of a pose checkpoint made by ``sapiens2 train``, per source clip, beside the mean-pose floor.

The trainer prints one figure for the whole validation set; this splits it by the video each frame
came from (the ``source`` the labeller records), so a student that only knows its training scenes
shows it. Uses the recipe's own dataset, decoder and metric.

Usage: python scripts/evaluate_pose_student.py RUN_DIR --config CONFIG --train A.json [...] --val V.json [...]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import torch

from sapiens2.checkpoints import load_model
from sapiens2.processing.flip import average_flip_heatmaps
from sapiens2.train.config import load_config
from sapiens2.train.recipes import recipe_for


def source_name(image: dict, file: Path) -> str:
    """The clip a frame came from: the source video's last folders and stem (cam04 of two trials differ)."""
    source = Path(image.get("source", file.name))
    return "/".join([*source.parts[-4:-2], source.stem])


def split_by_source(files: list[Path], out_dir: Path) -> dict[str, Path]:
    """One COCO file per source clip (absolute image paths), for the clips that have people."""
    groups: dict[str, dict] = defaultdict(lambda: {"images": [], "annotations": []})
    for file in files:
        data = json.loads(file.read_text())
        owner = {}
        for image in data["images"]:
            owner[image["id"]] = key = source_name(image, file)
            groups[key]["categories"] = data["categories"]
            groups[key]["images"].append(image | {"file_name": str((file.parent / image["file_name"]).resolve())})
        for annotation in data["annotations"]:
            groups[owner[annotation["image_id"]]]["annotations"].append(annotation)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for index, (key, group) in enumerate(sorted(groups.items())):
        if group["annotations"]:
            paths[key] = out_dir / f"source{index}.json"
            paths[key].write_text(json.dumps(group))
    return paths


def flip_tested(model: torch.nn.Module, flip_indices: tuple[int, ...]):
    """The model with the official test-time flip: heatmaps of the crop and of its mirror, un-mirrored, averaged."""

    def run(images: torch.Tensor) -> torch.Tensor:
        plain, mirrored = model(images), model(images.flip(-1))
        return torch.from_numpy(average_flip_heatmaps(plain.numpy(), mirrored.numpy(), flip_indices))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="the run folder (model.safetensors)")
    parser.add_argument("--config", required=True, help="the run's config file")
    parser.add_argument("--train", nargs="+", required=True, help="the training COCO files (for the mean pose)")
    parser.add_argument("--val", nargs="+", type=Path, required=True, help="held-out COCO files")
    parser.add_argument("--set", action="append", default=[], help="the run's config overrides (model.img_size=...)")
    args = parser.parse_args()
    config = load_config(args.config, [*args.set, f"data.train={json.dumps(args.train)}"], mode="distill")
    recipe = recipe_for(config)
    train = recipe.dataset(config.data.train, None, False)
    model = load_model(args.run / "model.safetensors", expect="task", img_size=tuple(config.model.img_size)).eval()
    flipped = flip_tested(model, train.keypoint_set.flip_indices)
    sources = {"all held-out": args.val, **split_by_source(args.val, args.run / "eval_by_source")}
    print("| held-out source | people | student PCK@0.1 | with flip test | mean-pose PCK@0.1 |\n| --- | --- | --- | --- | --- |")
    for key, paths in sources.items():
        val = recipe.dataset([str(p) for p in paths] if isinstance(paths, list) else str(paths), None, False)
        scores = []
        for net in (model, flipped):
            batches = ({k: torch.stack([val[i][k] for i in range(s, min(s + 16, len(val)))]) for k in ("image", "keypoints", "weights")} for s in range(0, len(val), 16))
            with torch.no_grad():
                scores.append(recipe.evaluate(net, batches))
        print(f"| {key} | {len(val)} | {scores[0]:.3f} | {scores[1]:.3f} | {recipe.baseline(train, val):.3f} |")


if __name__ == "__main__":
    main()
