"""Training data: UDP targets that the SDK's decoder inverts, crops that match inference, flips, malformed datasets."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
import torch

from sapiens2.processing.topdown import TopdownCrop, udp_warp_matrix
from sapiens2.train.data import CocoPoseDataset, DatasetError, DenseArrayDataset, KeypointSet, SegFolderDataset
from sapiens2.train.data.heatmap_target import udp_gaussian_targets
from sapiens2.train.data.pose_geometry import BoxJitter, closeup_box, flip_horizontally, half_body_box, rotated_udp_matrix
from sapiens2.train.labeling.mediapipe_keypoints import NAMES as MEDIAPIPE_NAMES
from sapiens2.train.metrics import decode_to_crop
from train_datasets import write_coco_dataset


def test_gaussian_target_by_hand() -> None:
    maps, weights = udp_gaussian_targets(np.array([[2.0, 1.0], [40.0, 1.0]]), np.array([True, True]), (8, 4), sigma=1.0)
    assert maps[0, 1, 2] == 1.0 and maps[0, 1, 3] == pytest.approx(math.exp(-0.5)) and maps[0, 3, 4] == pytest.approx(math.exp(-4.0))
    assert maps[0, 1, 6] == 0.0  # beyond 3 sigma of the rounded centre
    assert weights.tolist() == [1.0, 0.0] and not maps[1].any()  # patch fully outside the map


@pytest.mark.parametrize("point", [(10.3, 20.7), (24.0, 32.0), (30.6, 41.2)])
def test_the_sdk_decoder_recovers_the_encoded_keypoint(point) -> None:
    input_size, heatmap_size = (48, 64), (12, 16)
    crop_point = np.array([point], dtype=np.float32)
    hm_point = crop_point * (np.array(heatmap_size) - 1) / (np.array(input_size) - 1)
    maps, _ = udp_gaussian_targets(hm_point, np.array([True]), heatmap_size, sigma=1.5)
    assert np.abs(decode_to_crop(maps, input_size) - crop_point).max() < 0.15  # under 0.04 heatmap pixels


def test_rotation_free_training_matrix_is_the_inference_warp() -> None:
    center, scale = np.array([50.0, 60.0], np.float32), np.array([30.0, 40.0], np.float32)
    np.testing.assert_allclose(rotated_udp_matrix(center, scale, (48, 64), 0.0), udp_warp_matrix(center, scale, (48, 64)), atol=1e-5)
    turned = rotated_udp_matrix(center, scale, (48, 64), 90.0)
    right_of_center = turned @ np.array([60.0, 60.0, 1.0])
    # Rotating the image by +90 deg (counter-clockwise) moves a point right of the centre above it.
    np.testing.assert_allclose(right_of_center, [23.5, 31.5 - 10 * 63 / 40], atol=1e-4)


def test_validation_samples_use_the_inference_crop(tmp_path) -> None:
    path = write_coco_dataset(tmp_path, count=2)
    data = json.loads(path.read_text())
    dataset = CocoPoseDataset(path, input_size=(48, 64), heatmap_size=(12, 16), sigma=1.5, augment=False)
    sample = dataset[1]
    points = np.asarray(data["annotations"][1]["keypoints"], np.float32).reshape(-1, 3)[:, :2]
    box = np.concatenate([points.min(0), points.max(0)])
    expected = TopdownCrop.from_box(box, (48, 64)).image_to_crop(points)
    np.testing.assert_allclose(sample["keypoints"].numpy(), expected, atol=1e-3)
    assert sample["image"].shape == (3, 64, 48) and sample["heatmaps"].shape == (5, 16, 12)
    assert sample["weights"].tolist() == [1.0] * 5
    assert sample["cut_off"].tolist() == [0.0] * 5  # the validation crop holds the whole person


def test_keypoints_a_crop_cuts_off_are_marked_apart_from_the_visible_ones(tmp_path) -> None:
    path = write_coco_dataset(tmp_path, count=8)
    jitter = BoxJitter(shift_factor=0.0, scale_factor=0.0, rotate_factor=0.0, closeup_prob=1.0)
    dataset = CocoPoseDataset(path, input_size=(48, 64), heatmap_size=(12, 16), sigma=1.5, jitter=jitter)
    samples = [dataset[i] for i in range(len(dataset))]
    for sample in samples:
        points = sample["keypoints"].numpy()
        inside = (points >= 0).all(1) & (points[:, 0] <= 47) & (points[:, 1] <= 63)
        assert sample["cut_off"].numpy().astype(bool).tolist() == (~inside).tolist()  # all five are labelled
        assert not (sample["cut_off"] * sample["weights"]).any()
    assert sum(float(sample["cut_off"].sum()) for sample in samples) > 0  # close-ups cut the lowest dots off


def test_flip_mirrors_and_swaps_left_and_right() -> None:
    image = np.zeros((4, 10, 3), np.uint8)
    image[0, 1] = 255
    points = np.array([[1.0, 0.0], [2.0, 1.0], [7.0, 1.0]], np.float32)
    flipped, new_points, visible = flip_horizontally(image, points, np.array([True, True, False]), (0, 2, 1))
    assert flipped[0, 8].tolist() == [255, 255, 255]
    np.testing.assert_array_equal(new_points, [[8.0, 0.0], [2.0, 1.0], [7.0, 1.0]])
    assert visible.tolist() == [True, False, True]


def test_flip_pairs_follow_the_keypoint_names() -> None:
    assert KeypointSet.from_category({"keypoints": ["nose", "left_eye", "right_eye", "left_hand", "right_hand"]}).flip_indices == (0, 2, 1, 4, 3)
    mediapipe = KeypointSet.from_category({"keypoints": list(MEDIAPIPE_NAMES)})
    index = {name: i for i, name in enumerate(MEDIAPIPE_NAMES)}
    assert mediapipe.flip_indices[index["mouth_left"]] == index["mouth_right"]
    assert mediapipe.flip_indices[index["left_eye_inner"]] == index["right_eye_inner"]
    assert mediapipe.flip_indices[index["nose"]] == index["nose"]
    explicit = KeypointSet.from_category({"keypoints": ["a", "b"], "flip_pairs": [[0, 1]]})
    assert explicit.flip_indices == (1, 0)


def test_malformed_coco_files_are_user_errors(tmp_path) -> None:
    path = write_coco_dataset(tmp_path, count=1)
    data = json.loads(path.read_text())
    data["annotations"][0]["keypoints"] = data["annotations"][0]["keypoints"][:-3]
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match="has 12 numbers for keypoints; expected 15"):
        CocoPoseDataset(path)
    path.write_text("{not json")
    with pytest.raises(DatasetError, match="not valid JSON"):
        CocoPoseDataset(path)
    with pytest.raises(DatasetError, match="does not exist"):
        CocoPoseDataset(tmp_path / "missing.json")
    path.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    with pytest.raises(DatasetError, match="exactly one category"):
        CocoPoseDataset(path)


def test_half_body_crop_follows_the_official_rule() -> None:
    # 7 upper keypoints (x 10-40, y 10-40) and 5 lower ones (x 15-35, y 60-100).
    upper_points = np.column_stack([np.linspace(10, 40, 7), np.linspace(10, 40, 7)])
    lower_points = np.column_stack([np.linspace(15, 35, 5), np.linspace(60, 100, 5)])
    keypoints = np.concatenate([upper_points, lower_points]).astype(np.float32)
    upper, lower = tuple(range(7)), tuple(range(7, 12))
    visible = np.ones(12, dtype=bool)

    class Draws:  # rng.random() answers in turn: apply? (< 0.3), then upper? (< 0.7); no extra draw allowed
        def __init__(self, *values: float) -> None:
            self.values = list(values)

        def random(self) -> float:
            return self.values.pop(0)

    assert half_body_box(Draws(0.5), keypoints, visible, upper, lower) is None  # p 0.3 not drawn
    assert half_body_box(Draws(0.1, 0.2), keypoints, visible, upper, lower).tolist() == [10, 10, 40, 40]
    assert half_body_box(Draws(0.1, 0.9), keypoints, visible, upper, lower).tolist() == [15, 60, 35, 100]
    two_lower = visible.copy()
    two_lower[[7, 8, 9]] = False  # 9 visible, only 2 of them lower (< 3): the upper half, without a second draw
    assert half_body_box(Draws(0.1), keypoints, two_lower, upper, lower).tolist() == [10, 10, 40, 40]
    two_lower[0] = False  # 8 visible (< 9): never
    assert half_body_box(Draws(0.1), keypoints, two_lower, upper, lower) is None


def test_closeup_crop_is_the_top_of_the_person() -> None:
    # A standing person: keypoints at heights 0, 100, ..., 1000, x spreading from 500 to 500 +- y / 2.
    ys = np.arange(0, 1001, 100, dtype=np.float32)
    keypoints = np.column_stack([500 + np.where(np.arange(11) % 2, 1, -1) * ys / 2, ys]).astype(np.float32)
    visible = np.ones(11, dtype=bool)

    class Draws:  # apply? then the depth of the cut, as a fraction of the person's height
        def __init__(self, apply: float, depth: float) -> None:
            self.apply, self.depth = apply, depth

        def random(self) -> float:
            return self.apply

        def uniform(self, low: float, high: float) -> float:
            assert (low, high) == (0.25, 0.5)
            return self.depth

    # Cut at 30 % of the height: the keypoints at y 0-300 (x 500, 550, 400, 650).
    assert closeup_box(Draws(0.1, 0.3), keypoints, visible, 0.2).tolist() == [400, 0, 650, 300]
    assert closeup_box(Draws(0.3, 0.3), keypoints, visible, 0.2) is None  # not drawn
    assert closeup_box(Draws(0.1, 0.3), keypoints, visible, 0.0) is None  # off: no draw at all (Draws would answer)
    few = visible.copy()
    few[[1, 2]] = False  # above the cut only y 0 and 300 remain: two keypoints are no close-up
    assert closeup_box(Draws(0.1, 0.3), keypoints, few, 0.2) is None


def test_several_annotation_files_make_one_dataset_with_their_own_image_folders(tmp_path) -> None:
    first = write_coco_dataset(tmp_path / "a", count=2, seed=1)
    second = write_coco_dataset(tmp_path / "b", count=3, seed=2)
    both = CocoPoseDataset([first, second], input_size=(48, 64), heatmap_size=(12, 16), sigma=1.0, augment=False)
    alone = CocoPoseDataset(second, input_size=(48, 64), heatmap_size=(12, 16), sigma=1.0, augment=False)
    assert len(both) == 5
    # The third sample is the second file's first image, read from b/images, not a/images.
    assert torch.equal(both[2]["image"], alone[0]["image"]) and torch.equal(both[2]["keypoints"], alone[0]["keypoints"])
    data = json.loads(second.read_text())
    data["categories"][0]["keypoints"][0] = "another_name"
    second.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match="another keypoint set"):
        CocoPoseDataset([first, second])


def test_seg_folders_flip_left_and_right_classes(tmp_path) -> None:
    for folder in ("images", "labels"):
        (tmp_path / folder).mkdir()
    (tmp_path / "classes.txt").write_text("background\nleft_arm\nright_arm\n")
    labels = np.zeros((8, 6), np.uint8)
    labels[:, :3] = 1
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((8, 6, 3), np.uint8))
    cv2.imwrite(str(tmp_path / "labels" / "a.png"), labels)
    dataset = SegFolderDataset(tmp_path, input_size=(6, 8))
    assert dataset.classes == ("background", "left_arm", "right_arm") and dataset.flip_lut[:3].tolist() == [0, 2, 1]
    plain = SegFolderDataset(tmp_path, input_size=(6, 8), augment=False)[0]["labels"].numpy()
    np.testing.assert_array_equal(plain, labels)
    cv2.imwrite(str(tmp_path / "labels" / "a.png"), labels + 3)
    with pytest.raises(DatasetError, match="class id 4 but there are 3 classes"):
        plain = SegFolderDataset(tmp_path, input_size=(6, 8), augment=False)[0]
    (tmp_path / "labels" / "a.png").unlink()
    with pytest.raises(DatasetError, match="have no .png file"):
        SegFolderDataset(tmp_path)


def test_dense_arrays_mask_empty_pixels(tmp_path) -> None:
    for folder in ("images", "targets"):
        (tmp_path / folder).mkdir()
    normals = np.zeros((4, 4, 3), np.float32)
    normals[:2] = (0, 0, 1)
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((4, 4, 3), np.uint8))
    np.save(tmp_path / "targets" / "a.npy", normals)
    sample = DenseArrayDataset(tmp_path, "normal", input_size=(4, 4), augment=False)[0]
    assert sample["mask"][0].sum(1).tolist() == [4, 4, 0, 0]
    np.save(tmp_path / "targets" / "a.npy", normals[:2])
    with pytest.raises(DatasetError, match="the size of its image"):
        DenseArrayDataset(tmp_path, "normal", input_size=(4, 4))[0]
