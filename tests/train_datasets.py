"""Small synthetic datasets on disk for the training tests: people are coloured dots we can place exactly."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

KEYPOINT_NAMES = ("nose", "left_eye", "right_eye", "left_hand", "right_hand")
SKELETON = [[1, 2], [1, 3], [2, 4], [3, 5]]  # 1-based, as COCO stores it
COLORS_BGR = ((255, 255, 255), (0, 0, 255), (0, 255, 0), (255, 0, 0), (0, 255, 255))


def dot_keypoints(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Five keypoints scattered independently over the central part of the image (so every pose differs)."""
    return (rng.uniform(0.2, 0.8, size=(5, 2)) * np.array([width, height])).astype(np.float32)


def write_coco_dataset(root: Path, count: int = 4, size: tuple[int, int] = (96, 128), seed: int = 0) -> Path:
    """``count`` images (W, H = ``size``) with five coloured dots and their COCO keypoint file; returns the JSON path."""
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(count):
        image = np.full((size[1], size[0], 3), 40, dtype=np.uint8)
        points = dot_keypoints(rng, *size)
        for (x, y), color in zip(points, COLORS_BGR):
            cv2.circle(image, (int(round(x)), int(round(y))), 3, color, -1)
        name = f"images/{i:03d}.png"
        cv2.imwrite(str(root / name), image)
        images.append({"id": i + 1, "file_name": name, "width": size[0], "height": size[1]})
        triples = np.concatenate([points, np.full((5, 1), 2.0)], axis=1)
        annotations.append({"id": i + 1, "image_id": i + 1, "category_id": 1, "keypoints": triples.ravel().tolist(), "num_keypoints": 5})
    category = {"id": 1, "name": "person", "keypoints": list(KEYPOINT_NAMES), "skeleton": SKELETON}
    path = root / "annotations.json"
    path.write_text(json.dumps({"images": images, "annotations": annotations, "categories": [category]}))
    return path


TINY_ARCH = {"embed_dims": 32, "num_layers": 2, "num_heads": 2, "feedforward_channels": 64, "num_tokenizer_layers": 0}
TINY_POSE_HEAD = {"deconv_out_channels": [16, 16], "conv_out_channels": [16], "conv_kernel_sizes": [1]}


def tiny_pose_config(annotations: Path, out_dir: Path, **sections: dict) -> dict:
    """A config dict for a tiny pose model at 48x32 on ``annotations``; ``sections`` update its sections."""
    config = {
        "model": {"task": "pose", "arch": TINY_ARCH, "img_size": [48, 32], "head": TINY_POSE_HEAD, "pos_embed_rope_dtype": "fp32"},
        "data": {"train": str(annotations), "batch_size": 2, "workers": 0, "heatmap_sigma": 16.0},
        "optim": {"lr": 1e-3, "layer_decay": 0.9},
        "schedule": {"iters": 4, "warmup_iters": 1},
        "run": {"out_dir": str(out_dir), "log_every": 1, "val_every": 1000, "save_every": 1000, "threads": 1},
    }
    for name, values in sections.items():
        config[name] = config.get(name, {}) | values
    return config


def write_coco_mask_dataset(root: Path, count: int = 4, size: tuple[int, int] = (96, 128), seed: int = 0) -> Path:
    """``write_coco_dataset`` plus ``masks/<stem>.png`` as ``sapiens2 label --masks`` writes them: the
    person (class 1) is a disc of radius 6 around each dot, the rest background (0)."""
    path = write_coco_dataset(root, count, size, seed)
    data = json.loads(path.read_text())
    (root / "masks").mkdir(exist_ok=True)
    for image, annotation in zip(data["images"], data["annotations"]):
        mask = np.zeros((size[1], size[0]), dtype=np.uint8)
        for x, y in np.asarray(annotation["keypoints"]).reshape(-1, 3)[:, :2]:
            cv2.circle(mask, (int(round(x)), int(round(y))), 6, 1, -1)
        cv2.imwrite(str(root / "masks" / f"{Path(image['file_name']).stem}.png"), mask)
    return path
