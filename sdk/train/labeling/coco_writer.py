"""Teacher outputs -> a COCO keypoint file, written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

VISIBLE = 2


def annotation(image_id: int, keypoints: np.ndarray, visible: np.ndarray) -> dict[str, Any]:
    """One COCO annotation: (x, y, v) triples (v 2 visible, 0 not) and the tight box of the visible points."""
    points = keypoints[visible]
    x1, y1 = points.min(0)
    x2, y2 = points.max(0)
    triples = np.concatenate([keypoints, np.where(visible, VISIBLE, 0)[:, None]], axis=1)
    return {
        "id": image_id,
        "image_id": image_id,
        "category_id": 1,
        "keypoints": [round(float(v), 2) for v in triples.ravel()],
        "num_keypoints": int(visible.sum()),
        "bbox": [round(float(v), 2) for v in (x1, y1, x2 - x1, y2 - y1)],
        "area": float((x2 - x1) * (y2 - y1)),
        "iscrowd": 0,
    }


def coco_document(images: Sequence[dict[str, Any]], annotations: Iterable[dict[str, Any]], category: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    return {"info": info, "images": list(images), "annotations": list(annotations), "categories": [category]}


def write_json_atomically(path: Path, document: dict[str, Any]) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(document, stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
