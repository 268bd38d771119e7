"""The windowed-attention retrofit of a 0.1B, measured: held-out backbone-feature cosine before and after.

No trained 0.1B can be downloaded here, so the teacher is the 0.1B architecture with seeded random
weights and LayerScale 1 (instead of the near-identity 1e-4 of a fresh model), so that attention
shapes the features as it does in a trained model. The student is the same network with windowed
attention (``configs/retrofit_windowed_0.1b.yaml``), initialised from the teacher and distilled on
real frames; the trainer prints the held-out feature cosine at step 0 (the plain retrofit) and after.

Usage: python scripts/retrofit_windowed.py --train A.json [B.json ...] --val V.json [--out runs/retrofit] [--set k=v ...]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import torch

from sapiens2.train.checkpointing import save_model_file
from sapiens2.train.config import load_config
from sapiens2.train.data import CocoPoseDataset
from sapiens2.train.model_setup import build_model
from sapiens2.train.trainer import Trainer

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "retrofit_windowed_0.1b.yaml"


def write_teacher(out_dir: Path, keypoint_names: list[str], config_path: Path, seed: int = 0) -> Path:
    """The random-weight 0.1B teacher (global attention everywhere) in the released layout."""
    config = load_config(config_path, mode="distill")
    torch.manual_seed(seed)
    model = build_model(replace(config.model, attention="sdpa"), len(keypoint_names))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if ".gamma." in name:  # LayerScale
                parameter.fill_(1.0)
    metadata = {"task": "pose", "arch": config.model.arch, "note": "random weights, LayerScale 1", "keypoints": {"names": keypoint_names}}
    return save_model_file(model.state_dict(), out_dir, metadata)


def held_out_subset(files: list[Path], count: int, path: Path) -> Path:
    """``count`` people spread evenly over the held-out files, as one COCO file with absolute image paths."""
    images, annotations = [], []
    for file in files:
        data = json.loads(file.read_text())
        by_id = {image["id"]: image for image in data["images"]}
        for annotation in data["annotations"]:
            image = by_id[annotation["image_id"]] | {"id": len(images) + 1}
            image["file_name"] = str((file.parent / image["file_name"]).resolve())
            images.append(image)
            annotations.append(annotation | {"id": len(annotations) + 1, "image_id": image["id"]})
    step = max(1, len(annotations) // count)
    keep = annotations[::step][:count]
    kept_images = {a["image_id"] for a in keep}
    path.write_text(json.dumps({"images": [i for i in images if i["id"] in kept_images], "annotations": keep, "categories": data["categories"]}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="+", required=True, help="COCO keypoint files of the training frames")
    parser.add_argument("--val", nargs="+", required=True, help="COCO keypoint files of held-out frames")
    parser.add_argument("--val-samples", type=int, default=32, help="held-out people to measure on (each costs three 0.1B passes per check)")
    parser.add_argument("--out", default="runs/retrofit_windowed_0.1b")
    parser.add_argument("--set", action="append", default=[], help="config overrides, section.key=value")
    args = parser.parse_args()
    out = Path(args.out)
    names = list(CocoPoseDataset(args.train[0]).keypoint_set.names)
    teacher = write_teacher(out / "teacher", names, CONFIG)
    val = held_out_subset([Path(v) for v in args.val], args.val_samples, out / "val.json")
    overrides = [
        f"data.train={json.dumps(args.train)}",
        f"data.val={val}",
        f"model.init_from={teacher}",
        f"distill.teacher={teacher}",
        f"run.out_dir={out / 'student'}",
        *args.set,
    ]
    result = Trainer(load_config(CONFIG, overrides, mode="distill")).fit()
    print(f"student: {result.model_file} ({result.steps} steps in {result.seconds:.0f} s)")


if __name__ == "__main__":
    main()
