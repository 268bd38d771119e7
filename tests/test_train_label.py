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
from sapiens2.train.labeling.mediapipe_teacher import _annotation, _distinct

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


def test_two_crops_of_one_person_give_one_label() -> None:
    landmarks = np.column_stack([np.linspace(10, 40, 33), np.linspace(10, 90, 33), np.full(33, 0.9)])
    fewer_seen = landmarks.copy()
    fewer_seen[:3, 2] = 0.1  # the same person from a second box, three keypoints less sure
    elsewhere = landmarks + [200, 0, 0]
    people = [_annotation(1, fewer_seen, 400, 100), _annotation(1, landmarks, 400, 100), _annotation(1, elsewhere, 400, 100)]
    kept = _distinct(people)
    assert [p["num_keypoints"] for p in kept] == [33, 33] and kept[0]["bbox"][0] == 10.0 and kept[1]["bbox"][0] == 210.0


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
    assert len(data["images"]) == 1 and len(data["annotations"]) == 1
    seen = np.asarray(data["annotations"][0]["keypoints"]).reshape(33, 3)[:, 2] > 0
    # A head-and-shoulders portrait: the face and both shoulders are labelled, the legs are not.
    assert seen[[NAMES.index(n) for n in ("nose", "left_eye", "right_eye", "left_shoulder", "right_shoulder")]].all()
    assert not seen[[NAMES.index(n) for n in ("left_knee", "right_knee", "left_ankle", "right_ankle")]].any()
    assert (out / data["images"][0]["file_name"]).is_file() and (out / "classes.txt").read_text().split() == ["background", "person"]


@pytest.mark.slow
@pytest.mark.skipif(not has_mediapipe(venv_python(MEDIAPIPE_VENV)), reason="MediaPipe venv not installed (set SAPIENS2_MEDIAPIPE_VENV)")
def test_mediapipe_labels_each_person_hog_finds(tmp_path) -> None:
    from sapiens2.samples import packaged_data_dir

    frame = packaged_data_dir() / "images" / "vtest_frame536.jpg"  # five HOG boxes of pedestrians about 80 pixels tall
    whole, boxes = tmp_path / "whole", tmp_path / "boxes"
    assert main(["label", str(frame), "--out", str(whole), "--venv", str(MEDIAPIPE_VENV)]) == 0
    assert main(["label", str(frame), "--out", str(boxes), "--detector", "hog", "--max-side", "768", "--venv", str(MEDIAPIPE_VENV)]) == 0
    found = json.loads((boxes / "annotations.json").read_text())["annotations"]
    assert len(found) >= 2 > len(json.loads((whole / "annotations.json").read_text())["annotations"])
    assert len({a["id"] for a in found}) == len(found)


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
