"""The official segmentation augmentation: background replacement with Reinhard colour transfer,
keep-ratio resize, class-balanced crop, rotation, and the rule that drops near-empty samples."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from sapiens2.train.data import DatasetError, SegFolderDataset
from sapiens2.train.data import seg_augment
from sapiens2.train.data.background_swap import BackgroundSwap
from sapiens2.train.data.seg_augment import crop_window, random_crop, random_resize, rotate
from sapiens2.train.data.seg_background import paste_on_background, reinhard_transfer


def _lab_stats(pixels_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(pixels_bgr.reshape(-1, 1, 3), cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float64)
    return lab.mean(0), lab.std(0)


def _textured(rng: np.random.Generator, shape: tuple[int, int], centre: tuple[int, int, int], spread: int) -> np.ndarray:
    return np.clip(rng.normal(centre, spread, (*shape, 3)), 0, 255).astype(np.uint8)


def test_reinhard_transfer_gives_the_region_the_references_lab_mean_and_std() -> None:
    rng = np.random.default_rng(0)
    image = _textured(rng, (40, 40), (90, 120, 150), 12)
    region = np.zeros((40, 40), bool)
    region[10:30, 5:25] = True
    reference = _textured(rng, (30, 50), (140, 110, 100), 20)
    moved = reinhard_transfer(image, region, reference)
    mean, std = _lab_stats(moved[region])
    want_mean, want_std = _lab_stats(reference)
    before_mean, _ = _lab_stats(image[region])
    assert np.abs(before_mean - want_mean).max() > 10  # the test means something
    np.testing.assert_allclose(mean, want_mean, atol=1.0)
    np.testing.assert_allclose(std, want_std, rtol=0.1, atol=0.5)


def _picture_folder(root) -> BackgroundSwap:
    root.mkdir()
    cv2.imwrite(str(root / "texture.png"), _textured(np.random.default_rng(1), (30, 40), (60, 160, 60), 25))
    return BackgroundSwap.from_folder(root, 1.0)


def test_only_labelled_foreground_is_kept_and_it_takes_the_pictures_colours(tmp_path) -> None:
    backgrounds = _picture_folder(tmp_path / "pictures")
    image = _textured(np.random.default_rng(2), (20, 24), (200, 80, 80), 10)
    labels = np.zeros((20, 24), np.uint8)
    labels[5:15, 6:18], labels[0, :] = 3, 255  # foreground, and an ignored row that is not foreground
    foreground = labels == 3
    out = paste_on_background(np.random.default_rng(7), image, foreground, backgrounds)
    picture = backgrounds.picture(np.random.default_rng(7), (20, 24))  # the same draw
    np.testing.assert_array_equal(out[~foreground], picture[~foreground])
    np.testing.assert_array_equal(out[foreground], reinhard_transfer(image, foreground, picture)[foreground])
    empty = np.zeros_like(foreground)
    assert paste_on_background(np.random.default_rng(7), image, empty, backgrounds) is image


@pytest.mark.parametrize("seed", range(8))
def test_random_resize_keeps_the_aspect_ratio_and_fits_its_box(seed) -> None:
    image, labels = np.zeros((60, 120, 3), np.uint8), np.zeros((60, 120), np.uint8)
    out_image, out_labels = random_resize(np.random.default_rng(seed), image, labels, (32, 40))
    height, width = out_labels.shape
    assert out_image.shape[:2] == (height, width) and abs(width - 2 * height) <= 1.5  # rounding of each side
    ratio = np.random.default_rng(seed).uniform(0.4, 2.0)  # the box's draw: 32 x 40 times ratio
    assert width <= 40 * ratio + 0.5 and height <= 32 * ratio + 0.5  # long side in long side, short in short
    assert width >= 40 * ratio - 1  # the long side is the one that binds


def test_cat_max_ratio_prefers_crops_no_class_dominates() -> None:
    """Columns 0-29 are class 0, 30-39 class 2; a 10-wide window is balanced (no class >= 75 %) only at
    left 23-27, 5 of 31 places. Ten tries find one with probability 1 - (26/31)^10 = 0.83."""
    labels = np.zeros((4, 40), np.uint8)
    labels[:, 30:] = 2
    lefts = [crop_window(np.random.default_rng(seed), labels, (10, 4))[0] for seed in range(200)]
    balanced = np.mean([23 <= left <= 27 for left in lefts])
    assert 0.73 <= balanced <= 0.93  # a uniform window would be balanced 5/31 = 0.16 of the time


def test_ignored_pixels_do_not_count_toward_a_class() -> None:
    labels = np.full((4, 10), 255, np.uint8)
    labels[:, 0], labels[:, 1] = 1, 2  # 50/50 among the labelled pixels: accepted at the first try
    assert crop_window(np.random.default_rng(0), labels, (10, 4)) == (0, 0)


def test_a_small_image_is_padded_black_and_ignored_before_the_crop() -> None:
    image, labels = np.full((3, 4, 3), 9, np.uint8), np.ones((3, 4), np.uint8)
    out_image, out_labels = random_crop(np.random.default_rng(0), image, labels, (6, 5))
    assert out_labels.shape == (5, 6) and out_image.shape == (5, 6, 3)
    assert (out_labels[:3, :4] == 1).all() and (out_labels[3:] == 255).all() and (out_labels[:, 4:] == 255).all()
    assert (out_image[:3, :4] == 9).all() and (out_image[3:] == 0).all()


def test_rotation_keeps_the_class_set_and_fills_the_corners_with_background() -> None:
    labels = np.ones((21, 21), np.uint8)
    labels[:, 10:] = 2
    image = np.full((21, 21, 3), 200, np.uint8)
    out_image, out_labels = rotate(image, labels, 45.0)
    assert set(np.unique(out_labels)) == {0, 1, 2}
    assert out_labels[0, 0] == out_labels[0, -1] == out_labels[-1, 0] == out_labels[-1, -1] == 0
    assert (out_image[0, 0] == 0).all() and out_labels[10, 10] == labels[10, 10]


def test_a_quarter_turn_is_numpys_rot90() -> None:
    labels = np.random.default_rng(0).integers(0, 5, (9, 9)).astype(np.uint8)
    _, turned = rotate(np.zeros((9, 9, 3), np.uint8), labels, 90.0)  # positive = counter-clockwise
    np.testing.assert_array_equal(turned, np.rot90(labels))


def _seg_folder(root, foreground_rows: dict[str, int]):
    """One image per name; its labels have ``rows`` rows of class 1 (person) across a 24 x 32 image."""
    for folder in ("images", "labels"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("background\nperson\n")
    for name, rows in foreground_rows.items():
        labels = np.zeros((32, 24), np.uint8)
        labels[8 : 8 + rows, 4:20] = 1
        cv2.imwrite(str(root / "images" / f"{name}.png"), np.where(labels[..., None] == 1, 210, 40).astype(np.uint8).repeat(3, 2))
        cv2.imwrite(str(root / "labels" / f"{name}.png"), labels)
    return root


def test_a_sample_without_foreground_is_replaced_by_another_image(tmp_path) -> None:
    root = _seg_folder(tmp_path, {"a_empty": 0, "b_person": 16})
    data = SegFolderDataset(root, input_size=(24, 32))
    for epoch in range(6):
        data.set_epoch(epoch)
        labels = data[0]["labels"].numpy()
        assert ((labels != 0) & (labels != 255)).mean() >= 0.01
    plain = SegFolderDataset(root, input_size=(24, 32), augment=False)[0]["labels"]
    assert int(plain.sum()) == 0  # validation keeps every sample as it is


def test_labels_with_no_foreground_anywhere_are_a_clear_error(tmp_path) -> None:
    data = SegFolderDataset(_seg_folder(tmp_path, {"a": 0, "b": 0}), input_size=(24, 32))
    with pytest.raises(DatasetError, match="under 1% foreground"):
        data[0]


def test_seg_samples_are_reproducible_per_seed_epoch_and_index(tmp_path) -> None:
    root = _seg_folder(tmp_path / "data", {"a": 16, "b": 12})
    backgrounds = _picture_folder(tmp_path / "pictures")
    first = SegFolderDataset(root, input_size=(24, 32), backgrounds=backgrounds)
    second = SegFolderDataset(root, input_size=(24, 32), backgrounds=backgrounds)
    images = []
    for epoch in range(3):
        first.set_epoch(epoch)
        second.set_epoch(epoch)
        a, b = first[1], second[1]
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["labels"], b["labels"])
        assert set(np.unique(a["labels"].numpy())) <= {0, 1, 255}
        images.append(a["image"])
    assert not torch.equal(images[0], images[1]) or not torch.equal(images[0], images[2])


def _background_texture(sample: dict) -> float:
    """Grey-level std of the background pixels away from the person's edge."""
    background = cv2.erode((sample["labels"].numpy() == 0).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    return float(sample["image"].numpy().transpose(1, 2, 0)[background].std(0).mean())


def test_the_background_becomes_a_picture_only_with_backgrounds_and_only_in_training(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(seg_augment, "ROTATE_PROB", 0.0)  # no black corners
    monkeypatch.setattr(seg_augment, "NOISE_PROB", 0.0)
    root = _seg_folder(tmp_path / "data", {"a": 16})
    backgrounds = _picture_folder(tmp_path / "pictures")
    plain, swapped = SegFolderDataset(root, input_size=(24, 32)), SegFolderDataset(root, input_size=(24, 32), backgrounds=backgrounds)
    for epoch in range(4):
        plain.set_epoch(epoch)
        swapped.set_epoch(epoch)
        assert _background_texture(plain[0]) < 0.02 < 0.1 < _background_texture(swapped[0])  # normalized units
    held_out = SegFolderDataset(root, input_size=(24, 32), augment=False, backgrounds=backgrounds)
    assert torch.equal(held_out[0]["image"], SegFolderDataset(root, input_size=(24, 32), augment=False)[0]["image"])


def test_a_seg_config_with_backgrounds_turns_the_official_replacement_on(tmp_path) -> None:
    from sapiens2.train.config import load_config
    from sapiens2.train.task_recipes import SegRecipe

    root = _seg_folder(tmp_path / "data", {"a": 16})
    _picture_folder(tmp_path / "pictures")
    overrides = ["model.task=seg", "model.img_size=[32, 24]", f"data.backgrounds={tmp_path / 'pictures'}"]
    recipe = SegRecipe(load_config(None, overrides))
    swap = recipe.dataset(str(root), None, augment=True).backgrounds
    assert swap is not None and swap.probability == 0.8 and [p.name for p in swap.pictures] == ["texture.png"]
    assert SegRecipe(load_config(None, ["model.task=seg", "model.img_size=[32, 24]"])).dataset(str(root), None, True).backgrounds is None


def test_a_seg_config_marks_in_the_wild_images_from_yaml_or_the_command_line(tmp_path) -> None:
    from sapiens2.train.config import load_config
    from sapiens2.train.task_recipes import SegRecipe

    root = _seg_folder(tmp_path / "data", {"a_wild": 16, "b": 16, "c_wild": 16})
    _picture_folder(tmp_path / "pictures")
    (tmp_path / "seg.yaml").write_text(f"model:\n  task: seg\n  img_size: [32, 24]\ndata:\n  backgrounds: {tmp_path / 'pictures'}\n  in_the_wild: ['*_wild.png']\n")
    from_file = SegRecipe(load_config(tmp_path / "seg.yaml")).dataset(str(root), None, augment=True)
    assert from_file.in_the_wild == (True, False, True)
    overridden = SegRecipe(load_config(tmp_path / "seg.yaml", ["data.in_the_wild=b.*"])).dataset(str(root), None, augment=True)
    assert overridden.in_the_wild == (False, True, False)


def test_in_the_wild_images_keep_their_own_background_and_the_others_get_a_picture(tmp_path, monkeypatch) -> None:
    """With the replacement forced (p 1), a draw of a matched image is the draw without any pictures, pixel for pixel."""
    monkeypatch.setattr(seg_augment, "ROTATE_PROB", 0.0)  # no black corners
    monkeypatch.setattr(seg_augment, "NOISE_PROB", 0.0)
    root = _seg_folder(tmp_path / "data", {"studio_a": 16, "wild_b": 16})
    backgrounds = _picture_folder(tmp_path / "pictures")
    assert backgrounds.probability == 1.0
    data = SegFolderDataset(root, input_size=(24, 32), backgrounds=backgrounds, in_the_wild=["*_x.png", "wild_*"])
    plain = SegFolderDataset(root, input_size=(24, 32))
    assert data.in_the_wild == (False, True)
    for seed in range(4):
        wild, wild_plain = data.draw(np.random.default_rng(seed), 1), plain.draw(np.random.default_rng(seed), 1)
        assert torch.equal(wild["image"], wild_plain["image"]) and torch.equal(wild["labels"], wild_plain["labels"])
        studio, studio_plain = data.draw(np.random.default_rng(seed), 0), plain.draw(np.random.default_rng(seed), 0)
        assert _background_texture(studio_plain) < 0.02 < 0.1 < _background_texture(studio)  # normalized units


def test_in_the_wild_patterns_that_match_no_training_image_are_a_clear_error(tmp_path) -> None:
    root = _seg_folder(tmp_path / "data", {"a": 16})
    backgrounds = _picture_folder(tmp_path / "pictures")
    with pytest.raises(DatasetError, match=r"data\.in_the_wild \['Wild_\*'\] matches no image file name in .*, e\.g\. not a\.png"):
        SegFolderDataset(root, input_size=(24, 32), backgrounds=backgrounds, in_the_wild="Wild_*")
    assert SegFolderDataset(root, input_size=(24, 32), augment=False, in_the_wild="Wild_*").in_the_wild == (False,)
    with pytest.raises(DatasetError, match="must be a glob pattern or a list of them"):
        SegFolderDataset(root, input_size=(24, 32), in_the_wild=[3])
