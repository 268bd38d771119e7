"""``sapiens2 label``: teacher landmarks become a COCO dataset the trainer reads; MediaPipe itself when installed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from sapiens2.bench.mediapipe_baseline import DEFAULT_VENV, has_mediapipe, venv_python
from sapiens2.cli.main import main
from sapiens2.train.data import CocoPoseDataset
from sapiens2.train.labeling.coco_writer import coco_document, write_json_atomically
from sapiens2.train.labeling.mediapipe_keypoints import NAMES, mediapipe_category
from sapiens2.train.labeling.mediapipe_teacher import _annotation

MEDIAPIPE_VENV = Path(os.environ.get("SAPIENS2_MEDIAPIPE_VENV", DEFAULT_VENV)).expanduser()


def test_landmarks_become_an_annotation_with_visibility_and_box() -> None:
    landmarks = np.zeros((33, 3))
    landmarks[:, 0] = np.linspace(10, 42, 33)
    landmarks[:, 1] = 20
    landmarks[:, 2] = 0.9
    landmarks[0, 2] = 0.2  # not confident
    landmarks[1, 0] = 200  # outside the 100-pixel-wide frame
    found = _annotation(7, landmarks, width=100, height=50)
    triples = np.asarray(found["keypoints"]).reshape(33, 3)
    assert triples[:, 2].tolist() == [0, 0] + [2] * 31 and found["num_keypoints"] == 31
    assert found["bbox"] == [12.0, 20.0, 30.0, 0.0]  # x = 10 + i; points 0 and 1 left out and found["image_id"] == 7
    landmarks[:, 2] = 0.1
    assert _annotation(7, landmarks, width=100, height=50) is None  # fewer than 8 visible: no annotation


def test_a_labelled_dataset_trains_with_mediapipe_flip_pairs(tmp_path) -> None:
    import cv2

    (tmp_path / "frames").mkdir()
    cv2.imwrite(str(tmp_path / "frames" / "a.jpg"), np.zeros((64, 48, 3), np.uint8))
    landmarks = np.column_stack([np.linspace(5, 40, 33), np.linspace(5, 60, 33), np.ones(33)])
    document = coco_document(
        [{"id": 1, "file_name": "frames/a.jpg", "width": 48, "height": 64}], [_annotation(1, landmarks, 48, 64)], mediapipe_category(), {}
    )
    write_json_atomically(tmp_path / "annotations.json", document)
    dataset = CocoPoseDataset(tmp_path / "annotations.json", input_size=(48, 64), heatmap_size=(12, 16), sigma=1.0)
    assert dataset.num_keypoints == 33 and dataset[0]["heatmaps"].shape == (33, 16, 12)
    flip = dataset.keypoint_set.flip_indices
    assert flip[NAMES.index("left_heel")] == NAMES.index("right_heel")
    assert dataset.keypoint_set.skeleton[0] == (0, 2)  # nose - left_eye, back to 0-based


def test_label_refuses_missing_inputs(tmp_path, capsys) -> None:
    assert main(["label", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "out")]) == 2
    assert "no such image or video" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.skipif(not has_mediapipe(venv_python(MEDIAPIPE_VENV)), reason="MediaPipe venv not installed (set SAPIENS2_MEDIAPIPE_VENV)")
def test_mediapipe_labels_the_packaged_person(tmp_path) -> None:
    from sapiens2.cli.demo_cmd import sample_image_path

    out = tmp_path / "labels"
    assert main(["label", str(sample_image_path()), "--out", str(out), "--masks", "--venv", str(MEDIAPIPE_VENV)]) == 0
    data = json.loads((out / "annotations.json").read_text())
    assert len(data["images"]) == 1 and data["annotations"][0]["num_keypoints"] >= 20
    assert (out / data["images"][0]["file_name"]).is_file() and (out / "classes.txt").read_text().split() == ["background", "person"]


def test_a_sapiens2_pose_checkpoint_labels_with_the_308_set(tmp_path) -> None:
    """Untrained fixture weights: the labels mean nothing, but the dataset must be complete and trainable."""
    import cv2

    from fixture_paths import IMAGES, case_checkpoint
    from sapiens2.processing import keypoint_metadata

    out = tmp_path / "labels"
    assert main(["label", str(IMAGES / "messi5.jpg"), "--teacher", str(case_checkpoint("task_pose")), "--max-side", "274", "--detector", "none", "--out", str(out)]) == 0
    data = json.loads((out / "annotations.json").read_text())
    assert len(data["images"]) == 1 and cv2.imread(str(out / data["images"][0]["file_name"])).shape[:2] == (171, 274)  # 548x342 halved
    category = data["categories"][0]
    assert category["keypoints"] == list(keypoint_metadata().names)
    left, right = keypoint_metadata().names.index("left_eye"), keypoint_metadata().names.index("right_eye")
    assert sorted([left, right]) in category["flip_pairs"]
    assert len(data["annotations"]) == 1  # one whole-frame person (the fixture's heatmap maxima pass 0.3)
    for found in data["annotations"]:
        assert len(found["keypoints"]) == 3 * 308 and found["num_keypoints"] >= 8
