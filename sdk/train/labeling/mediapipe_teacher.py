"""``sapiens2 label`` with MediaPipe as the teacher: pose pseudo-labels (and person masks) for images and videos.

MediaPipe 0.10.21 ships its models in the wheel but needs numpy < 2, so it runs in its own virtual
environment (the bench's ``ensure_venv``) as a worker process that streams one JSON line per frame.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sapiens2.bench.mediapipe_baseline import DEFAULT_VENV, ensure_venv
from sapiens2.errors import UserError

from .coco_writer import annotation, coco_document, write_json_atomically
from .mediapipe_keypoints import mediapipe_category

WORKER = Path(__file__).with_name("mediapipe_label_worker.py")
VISIBILITY_THRESHOLD = 0.5
MIN_VISIBLE = 8
TEACHER = "MediaPipe 0.10.21 BlazePose full (Apache-2.0), static image mode"


def label_with_mediapipe(
    sources: Sequence[Path],
    out_dir: Path,
    every: int = 1,
    max_side: int = 640,
    masks: bool = False,
    venv: str | Path = DEFAULT_VENV,
) -> Path:
    """Label ``sources`` into ``out_dir`` (frames/, annotations.json, masks/); returns the annotation file."""
    missing = [str(s) for s in sources if not Path(s).is_file()]
    if missing:
        raise UserError(f"no such image or video: {missing[0]}")
    python = ensure_venv(venv)
    out_dir.mkdir(parents=True, exist_ok=True)
    job = {
        "sources": [{"path": str(Path(s).resolve()), "prefix": frame_prefix(Path(s))} for s in sources],
        "out_dir": str(out_dir.resolve()),
        "every": every,
        "max_side": max_side,
        "masks": masks,
    }
    images, annotations = [], []
    with tempfile.NamedTemporaryFile("w", suffix=".json") as job_file, tempfile.TemporaryFile("w+") as log:
        json.dump(job, job_file)
        job_file.flush()
        process = subprocess.Popen([str(python), str(WORKER), job_file.name], stdout=subprocess.PIPE, stderr=log, text=True)
        for line in tqdm(process.stdout, desc="labelling", unit="frame"):
            frame = json.loads(line)
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": frame["file"], "width": frame["width"], "height": frame["height"], "source": frame["source"]})
            if frame["landmarks"] is not None:
                found = _annotation(image_id, np.asarray(frame["landmarks"], dtype=np.float64), frame["width"], frame["height"])
                if found is not None:
                    annotations.append(found)
        if process.wait() != 0:
            log.seek(0)
            last = (log.read().strip().splitlines() or ["(no message)"])[-1]
            raise UserError(f"the MediaPipe labelling worker failed: {last[-400:]}")
    info = {"teacher": TEACHER, "sources": [str(s) for s in sources], "every": every, "max_side": max_side}
    path = out_dir / "annotations.json"
    write_json_atomically(path, coco_document(images, annotations, mediapipe_category(), info))
    if masks:
        (out_dir / "classes.txt").write_text("background\nperson\n", encoding="utf-8")
    return path


def _annotation(image_id: int, landmarks: np.ndarray, width: int, height: int) -> dict | None:
    xy, visibility = landmarks[:, :2], landmarks[:, 2]
    inside = (xy[:, 0] >= 0) & (xy[:, 1] >= 0) & (xy[:, 0] <= width - 1) & (xy[:, 1] <= height - 1)
    visible = (visibility >= VISIBILITY_THRESHOLD) & inside
    if visible.sum() < MIN_VISIBLE:
        return None
    return annotation(image_id, xy, visible)


def frame_prefix(source: Path) -> str:
    """Frame names keep the parent folder, so cam01.mp4 of two trials do not collide."""
    return f"{source.parent.parent.name}_{source.parent.name}_".replace(" ", "_") if source.parent.name else ""
