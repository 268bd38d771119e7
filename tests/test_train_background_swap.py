"""Background swap: the person stays, the rest becomes another picture, only where the mask is the labelled person."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from sapiens2.errors import UserError
from sapiens2.train.data import CocoPoseDataset
from sapiens2.train.data.background_swap import BackgroundSwap

from train_datasets import write_coco_mask_dataset

PICTURE_BGR = (10, 200, 90)


def _picture_folder(root: Path) -> Path:
    root.mkdir()
    cv2.imwrite(str(root / "green.png"), np.full((50, 70, 3), PICTURE_BGR, dtype=np.uint8))
    return root


def _first_sample(annotations: Path) -> tuple[np.ndarray, Path, np.ndarray]:
    data = json.loads(annotations.read_text())
    image = cv2.imread(str(annotations.parent / data["images"][0]["file_name"]))
    mask = annotations.parent / "masks" / f"{Path(data['images'][0]['file_name']).stem}.png"
    keypoints = np.asarray(data["annotations"][0]["keypoints"], dtype=np.float32).reshape(-1, 3)[:, :2]
    return image, mask, keypoints


def test_the_person_keeps_its_pixels_and_the_background_becomes_the_picture(tmp_path) -> None:
    annotations = write_coco_mask_dataset(tmp_path / "data", count=1)
    image, mask_file, keypoints = _first_sample(annotations)
    swap = BackgroundSwap.from_folder(_picture_folder(tmp_path / "pictures"), 1.0)
    out = swap.apply(np.random.default_rng(0), image, mask_file, keypoints, np.ones(5, bool))
    person = cv2.imread(str(mask_file), cv2.IMREAD_UNCHANGED) == 1
    core = cv2.erode(person.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    far = cv2.dilate(person.astype(np.uint8), np.ones((7, 7), np.uint8)) == 0
    assert np.array_equal(out[core], image[core])
    assert (out[far] == PICTURE_BGR).all()


def test_a_mask_of_someone_else_leaves_the_image_alone(tmp_path) -> None:
    annotations = write_coco_mask_dataset(tmp_path / "data", count=1)
    image, mask_file, keypoints = _first_sample(annotations)
    cv2.imwrite(str(mask_file), np.zeros(image.shape[:2], np.uint8))  # nobody where the keypoints are
    swap = BackgroundSwap.from_folder(_picture_folder(tmp_path / "pictures"), 1.0)
    assert swap.apply(np.random.default_rng(0), image, mask_file, keypoints, np.ones(5, bool)) is image
    assert swap.apply(np.random.default_rng(0), image, tmp_path / "missing.png", keypoints, np.ones(5, bool)) is image


def test_the_dataset_swaps_reproducibly_and_only_when_augmenting(tmp_path) -> None:
    annotations = write_coco_mask_dataset(tmp_path / "data", count=2)
    swap = BackgroundSwap.from_folder(_picture_folder(tmp_path / "pictures"), 1.0)
    options = {"input_size": (32, 48), "heatmap_size": (8, 12), "sigma": 2.0}
    plain, swapped = CocoPoseDataset(annotations, **options), CocoPoseDataset(annotations, backgrounds=swap, **options)
    again = CocoPoseDataset(annotations, backgrounds=swap, **options)
    assert not np.array_equal(plain[0]["image"], swapped[0]["image"])
    assert np.array_equal(swapped[0]["image"], again[0]["image"])
    held_out = CocoPoseDataset(annotations, augment=False, backgrounds=swap, **options)
    assert np.array_equal(held_out[0]["image"], CocoPoseDataset(annotations, augment=False, **options)[0]["image"])


@pytest.mark.parametrize(("make", "probability", "message"), [
    (lambda root: root / "nope", 0.5, "does not exist"),
    (lambda root: root, 0.5, "has no images"),
    (_picture_folder, 1.5, "background_prob must be in"),
])  # fmt: skip
def test_bad_background_settings_are_user_errors(tmp_path, make, probability, message) -> None:
    with pytest.raises(UserError, match=message):
        BackgroundSwap.from_folder(make(tmp_path / "pictures") if make is _picture_folder else make(tmp_path), probability)
