"""``sapiens2 label`` with MediaPipe as the teacher: pose pseudo-labels (and person masks) for images and videos.

MediaPipe 0.10.21 ships its models in the wheel but needs numpy < 2, so it runs in its own virtual
environment (the bench's ``ensure_venv``) as a worker process that streams one JSON line per frame.
The SDK side takes the frames and, with ``detector="hog"``, finds the people, so footage with several
(or small) people gets one label per person: MediaPipe's landmarker alone finds one per image.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sapiens2.bench import mediapipe_baseline
from sapiens2.bench.mediapipe_baseline import DEFAULT_VENV, ensure_venv
from sapiens2.errors import UserError
from sapiens2.processing.detection import HogPersonDetector, filter_boxes, nms

from .coco_writer import annotation, coco_document, write_json_atomically
from .frames import frames, save_frame
from .mediapipe_keypoints import mediapipe_category

WORKER = Path(__file__).with_name("mediapipe_label_worker.py")
CROP_MODULE_DIR = Path(mediapipe_baseline.__file__).parent  # mediapipe_person_crop.py, shared with the bench's worker
VISIBILITY_THRESHOLD = 0.5
MIN_VISIBLE = 8
# Two crops of one person give two near-identical labels; keep the one with more visible keypoints.
DUPLICATE_IOU = 0.5
TEACHER = "MediaPipe 0.10.21 BlazePose full (Apache-2.0), static image mode"


def label_with_mediapipe(
    sources: Sequence[Path],
    out_dir: Path,
    every: int = 1,
    max_side: int = 640,
    masks: bool = False,
    venv: str | Path = DEFAULT_VENV,
    detector: str = "none",
) -> Path:
    """Label ``sources`` into ``out_dir`` (frames/, annotations.json, masks/); returns the annotation file.

    ``detector``: ``none`` labels the most prominent person of each whole frame, ``hog`` each person
    OpenCV's HOG detector finds (frames where it finds nobody are labelled whole).
    """
    missing = [str(s) for s in sources if not Path(s).is_file()]
    if missing:
        raise UserError(f"no such image or video: {missing[0]}")
    python = ensure_venv(venv)
    (out_dir / "frames").mkdir(parents=True, exist_ok=True)
    hog = HogPersonDetector() if detector == "hog" else None
    images, entries = [], []
    for source in sources:
        for name, frame in tqdm(frames(Path(source), every, max_side), desc=f"frames of {Path(source).name}", unit="frame"):
            file_name = save_frame(out_dir, name, frame)
            height, width = frame.shape[:2]
            images.append({"id": len(images) + 1, "file_name": file_name, "width": width, "height": height, "source": str(source)})
            boxes = filter_boxes(hog(frame))[:, :4].tolist() if hog is not None else None
            entries.append({"file": file_name, "boxes": boxes or None})
    if not images:
        raise UserError(f"no frame could be read from {', '.join(str(s) for s in sources)}")
    job = {"out_dir": str(out_dir.resolve()), "masks": masks, "crop_module_dir": str(CROP_MODULE_DIR), "frames": entries}
    annotations = _run_worker(python, job, images)
    info = {"teacher": TEACHER, "detector": detector, "sources": [str(s) for s in sources], "every": every, "max_side": max_side}
    path = out_dir / "annotations.json"
    write_json_atomically(path, coco_document(images, annotations, mediapipe_category(), info))
    if masks:
        (out_dir / "classes.txt").write_text("background\nperson\n", encoding="utf-8")
    return path


def _run_worker(python: Path, job: dict, images: list[dict]) -> list[dict]:
    """The worker's people, frame by frame, as COCO annotations (ids in order, duplicates dropped)."""
    annotations: list[dict] = []
    with tempfile.NamedTemporaryFile("w", suffix=".json") as job_file, tempfile.TemporaryFile("w+") as log:
        json.dump(job, job_file)
        job_file.flush()
        process = subprocess.Popen([str(python), str(WORKER), job_file.name], stdout=subprocess.PIPE, stderr=log, text=True)
        for image, line in zip(images, tqdm(process.stdout, desc="labelling", unit="frame", total=len(images))):
            frame = json.loads(line)
            people = [_annotation(image["id"], np.asarray(p, dtype=np.float64), image["width"], image["height"]) for p in frame["people"]]
            for found in _distinct([p for p in people if p is not None]):
                annotations.append(found | {"id": len(annotations) + 1})
        if process.wait() != 0:
            log.seek(0)
            last = (log.read().strip().splitlines() or ["(no message)"])[-1]
            raise UserError(f"the MediaPipe labelling worker failed: {last[-400:]}")
    return annotations


def _distinct(people: list[dict]) -> list[dict]:
    """Drop a person whose box overlaps a better-seen one's by more than DUPLICATE_IOU."""
    if len(people) < 2:
        return people
    boxes = np.array([[x, y, x + w, y + h, p["num_keypoints"]] for p in people for x, y, w, h in [p["bbox"]]])
    return [people[i] for i in sorted(nms(boxes, DUPLICATE_IOU))]


def _annotation(image_id: int, landmarks: np.ndarray, width: int, height: int) -> dict | None:
    xy, visibility = landmarks[:, :2], landmarks[:, 2]
    inside = (xy[:, 0] >= 0) & (xy[:, 1] >= 0) & (xy[:, 0] <= width - 1) & (xy[:, 1] <= height - 1)
    visible = (visibility >= VISIBILITY_THRESHOLD) & inside
    if visible.sum() < MIN_VISIBLE:
        return None
    return annotation(image_id, xy, visible)
