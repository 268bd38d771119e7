"""``sapiens2 label --teacher CHECKPOINT``: pose pseudo-labels from any Sapiens2 pose checkpoint or bundle.

Frames are taken exactly as the MediaPipe worker takes them (the same function), people come from
the detector (or the whole frame), and a keypoint counts as visible when its score reaches the
official drawing threshold and it lies inside the frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sapiens2.api import load
from sapiens2.errors import UserError
from sapiens2.processing import keypoint_metadata
from sapiens2.processing.detection import HogPersonDetector
from sapiens2.processing.visualize import KEYPOINT_SCORE_THRESHOLD

from .coco_writer import annotation, coco_document, write_json_atomically
from .frames import frames, save_frame
from .mediapipe_teacher import MIN_VISIBLE


def sapiens2_category() -> dict:
    """The 308-keypoint set as a COCO category, with its flip pairs spelled out (names alone do not give them all)."""
    meta = keypoint_metadata()
    pairs = [[i, j] for i, j in enumerate(meta.flip_indices) if i < j]
    return {"id": 1, "name": "person", "keypoints": list(meta.names), "skeleton": (meta.skeleton_links + 1).tolist(), "flip_pairs": pairs}


def label_with_sapiens2(
    sources: Sequence[Path], out_dir: Path, teacher: str, every: int = 1, max_side: int = 640, detector: str = "hog"
) -> Path:
    """Label ``sources`` into ``out_dir`` (frames/, annotations.json) with a pose checkpoint or bundle."""
    missing = [str(s) for s in sources if not Path(s).is_file()]
    if missing:
        raise UserError(f"no such image or video: {missing[0]}")
    predictor = load(teacher, detector=HogPersonDetector() if detector == "hog" else None)
    if predictor.task != "pose":
        raise UserError(f"the teacher {teacher} is a {predictor.task} model; labelling needs a pose model")
    (out_dir / "frames").mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for source in sources:
        for name, frame in tqdm(frames(Path(source), every, max_side), desc=f"labelling {Path(source).name}", unit="frame"):
            file_name = save_frame(out_dir, name, frame)
            image_id = len(images) + 1
            height, width = frame.shape[:2]
            images.append({"id": image_id, "file_name": file_name, "width": width, "height": height, "source": str(source)})
            result = predictor.predict(frame, color_order="bgr")
            for points, scores in zip(result.keypoints, result.keypoint_scores):
                inside = (points[:, 0] >= 0) & (points[:, 1] >= 0) & (points[:, 0] <= width - 1) & (points[:, 1] <= height - 1)
                visible = (scores >= KEYPOINT_SCORE_THRESHOLD) & inside
                if visible.sum() >= MIN_VISIBLE:
                    found = annotation(image_id, points.astype(np.float64), visible)
                    annotations.append(found | {"id": len(annotations) + 1})
    info = {"teacher": str(teacher), "sources": [str(s) for s in sources], "every": every, "max_side": max_side}
    path = out_dir / "annotations.json"
    write_json_atomically(path, coco_document(images, annotations, sapiens2_category(), info))
    return path
