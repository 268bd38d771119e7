"""The dense tasks' shared augmentations: geometry that keeps camera projections, image-only ops with
their official ranges, the official sample filters, and the normal / albedo datasets that use them."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
import torch

from sapiens2.processing.normalize import normalize
from sapiens2.processing.resize import letterbox
from sapiens2.train.data import DatasetError, DenseArrayDataset
from sapiens2.train.data import dense_folder, geometric
from sapiens2.train.data.dense_filters import depth_rejection, flat_albedo_rejection, mask_rejection
from sapiens2.train.data.geometric import PixelMap, continuous_crop_box, crop, random_scale_and_crop, rescale
from sapiens2.train.data.photometric import down_up_sample, gaussian_blur, gaussian_noise, solarize

FOCAL, CX, CY = 30.0, 9.0, 11.5


def _plane(height: int = 24, width: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Camera-frame points of the slanted plane Z = 2 + 0.05 u seen by a pinhole camera, and that camera."""
    v, u = np.mgrid[0:height, 0:width].astype(np.float32)
    z = 2 + 0.05 * u
    points = np.stack([(u - CX) * z / FOCAL, (v - CY) * z / FOCAL, z], axis=-1)
    return points, np.array([[FOCAL, 0, CX], [0, FOCAL, CY], [0, 0, 1]], np.float32)


def _projection_error(points: np.ndarray, intrinsics: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each pixel's 3D point projects with ``intrinsics``, minus that pixel's (u, v)."""
    v, u = np.mgrid[0 : points.shape[0], 0 : points.shape[1]]
    x, y, z = points[..., 0], points[..., 1], points[..., 2]
    return intrinsics[0, 0] * x / z + intrinsics[0, 2] - u, intrinsics[1, 1] * y / z + intrinsics[1, 2] - v


def test_a_crop_moves_the_principal_point_exactly() -> None:
    points, camera = _plane()
    _, (cut,), moved = crop(np.zeros((24, 20, 3), np.uint8), [points], (5, 7, 11, 9))
    assert cut.shape == (9, 11, 3)
    for error in _projection_error(cut, moved.move_intrinsics(camera)):
        np.testing.assert_allclose(error, 0, atol=1e-4)


def test_a_rescaled_pointmap_projects_with_the_scaled_intrinsics_to_within_half_a_pixel() -> None:
    """Doubling: each target pixel holds the point of the input pixel under its centre, so projections miss
    the pixel by +-0.5 and by 0 on average (scaling K without the half-pixel shift would be off by -0.5)."""
    points, camera = _plane()
    image, (doubled,), moved = rescale(np.zeros((24, 20, 3), np.uint8), [points], (40, 48))
    assert image.shape == (48, 40, 3) and (moved.sx, moved.sy) == (2, 2)
    for error in _projection_error(doubled, moved.move_intrinsics(camera)):
        assert np.abs(error).max() <= 0.5 + 1e-4 and abs(error.mean()) < 1e-3


@pytest.mark.parametrize("seed", range(6))
def test_random_scale_and_crop_keeps_every_point_on_its_ray(monkeypatch, seed) -> None:
    monkeypatch.setattr(geometric, "SCALE_PROB", 1.0)
    monkeypatch.setattr(geometric, "CROP_PROB", 1.0)
    points, camera = _plane()
    image, (moved_points,), moved = random_scale_and_crop(np.random.default_rng(seed), np.zeros((24, 20, 3), np.uint8), [points])
    assert image.shape[:2] == moved_points.shape[:2] and image.shape[:2] != (24, 20)
    error_u, error_v = _projection_error(moved_points, moved.move_intrinsics(camera))
    assert np.abs(error_u).max() <= max(moved.sx, 1) / 2 + 1e-4 and np.abs(error_v).max() <= max(moved.sy, 1) / 2 + 1e-4


def test_pixel_maps_compose_in_order() -> None:
    scale_then_shift = PixelMap(sx=2, sy=3).then(PixelMap(dx=-4, dy=1))
    assert scale_then_shift == PixelMap(2, 3, -4, 1)  # u' = 2 u - 4, v' = 3 v + 1


@pytest.mark.parametrize("seed", range(20))
def test_continuous_crops_have_the_official_area_and_aspect(seed) -> None:
    box = continuous_crop_box(np.random.default_rng(seed), (60, 80))
    assert box is not None
    left, top, width, height = box
    assert 0 <= left and left + width <= 80 and 0 <= top and top + height <= 60
    assert 0.4 * 0.95 <= width * height / (60 * 80) <= 1.0 and 0.5 * 0.95 <= width / height <= 2 * 1.05


def test_a_continuous_crop_of_a_sliver_gives_up_after_its_tries() -> None:
    # An area of at least 40 % in a 1 x 100 image needs an aspect of 40 or more: no try fits.
    assert continuous_crop_box(np.random.default_rng(0), (1, 100)) is None


def test_solarize_inverts_only_levels_above_128() -> None:
    image = np.array([0, 100, 128, 129, 200, 255], np.uint8)
    assert solarize(image).tolist() == [0, 100, 128, 126, 55, 0]


def test_gaussian_noise_has_zero_mean_and_the_official_variance() -> None:
    grey = np.full((64, 64, 3), 128, np.uint8)
    for seed in range(3):
        noise = gaussian_noise(np.random.default_rng(seed), grey).astype(np.float64) - 128
        assert abs(noise.mean()) < 0.2 and 5 * 0.9 <= noise.var() <= 20 * 1.1


def test_gaussian_blur_spreads_an_impulse_over_its_3x3_neighbours_only() -> None:
    impulse = np.zeros((7, 7), np.uint8)
    impulse[3, 3] = 255
    blurred = gaussian_blur(np.random.default_rng(0), impulse)
    assert blurred[2:5, 2:5].min() > 0 and blurred.sum() - blurred[2:5, 2:5].sum() == 0
    assert blurred[3, 3] == blurred.max() < 255


def test_down_up_sampling_keeps_the_size_and_loses_detail() -> None:
    stripes = np.zeros((40, 40, 3), np.uint8)
    stripes[:, ::2] = 255
    for seed in range(4):
        out = down_up_sample(np.random.default_rng(seed), stripes)
        assert out.shape == stripes.shape and not np.array_equal(out, stripes)


NORMAL = (0.6, 0.0, 0.8)
SHADES = np.linspace(0.2, 0.8, 12)[None, :, None] * np.array([1.0, 0.5, 0.25])  # an albedo that varies left to right


def _person(value=NORMAL, box=(slice(2, 18), slice(2, 14))) -> np.ndarray:
    """A 20 x 16 target: ``value`` inside ``box`` (a person), zero (background) elsewhere; 60 % coverage by default."""
    target = np.zeros((20, 16, 3), np.float32)
    target[box] = value
    return target


def _dense_folder(root, targets: dict[str, np.ndarray]):
    """One image per name (random pixels, a different seed each) with its target array."""
    for folder in ("images", "targets"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for seed, (name, target) in enumerate(targets.items()):
        image = np.random.default_rng(seed).integers(0, 256, target.shape).astype(np.uint8)
        cv2.imwrite(str(root / "images" / f"{name}.png"), image)
        np.save(root / "targets" / f"{name}.npy", target)
    return root


@pytest.fixture
def no_geometry(monkeypatch) -> None:
    """Training samples that keep their targets pixel for pixel (only the image changes)."""
    monkeypatch.setattr(geometric, "SCALE_PROB", 0.0)
    monkeypatch.setattr(geometric, "CROP_PROB", 0.0)
    monkeypatch.setattr(dense_folder, "FLIP_PROB", 0.0)


def test_a_flipped_normal_points_the_other_way_in_x(tmp_path) -> None:
    data = DenseArrayDataset(_dense_folder(tmp_path, {"a": _person()}), "normal", input_size=(16, 20))
    signs = set()
    for epoch in range(16):
        data.set_epoch(epoch)
        sample = data[0]
        valid = sample["mask"][0] > 0
        x, y, z = (sample["target"][i][valid] for i in range(3))
        assert (y == 0).all() and torch.allclose(z, torch.tensor(0.8))
        assert (x == x[0]).all() and abs(x[0].item()) == pytest.approx(0.6)  # one sign per sample
        signs.add(float(np.sign(x[0].item())))
    assert signs == {-1.0, 1.0}


@pytest.mark.parametrize("task", ["normal", "albedo"])
def test_dense_samples_are_reproducible_per_seed_epoch_and_index(tmp_path, task) -> None:
    root = _dense_folder(tmp_path, {"a": _person(SHADES)})
    first, second = DenseArrayDataset(root, task, input_size=(16, 20)), DenseArrayDataset(root, task, input_size=(16, 20))
    epochs = []
    for epoch in range(4):
        first.set_epoch(epoch)
        second.set_epoch(epoch)
        a, b = first[0], second[0]
        assert all(torch.equal(a[key], b[key]) for key in a)
        epochs.append(a["image"])
    assert any(not torch.equal(epochs[0], other) for other in epochs[1:])


def test_albedo_images_get_noise_but_no_colour_jitter(tmp_path, no_geometry) -> None:
    """With the geometry off, an albedo sample is the plain one or the plain one plus noise (p 0.2)."""
    root = _dense_folder(tmp_path, {"a": _person(SHADES)})
    plain = DenseArrayDataset(root, "albedo", input_size=(16, 20), augment=False)[0]["image"]
    data, untouched = DenseArrayDataset(root, "albedo", input_size=(16, 20)), 0
    for epoch in range(10):
        data.set_epoch(epoch)
        difference = (data[0]["image"] - plain).abs().mean().item()
        untouched += difference == 0
        assert difference < 0.2  # normalized units: noise of std <= 4.5 grey levels; a colour jitter moves far more
    assert 0 < untouched < 10


def test_the_filter_thresholds_are_the_official_ones() -> None:
    """Of 100 pixels: 16 valid is enough, 15 is not; 96 valid is still a person on a background, 97 is not."""
    for valid, dropped in ((15, True), (16, False), (96, False), (97, True)):
        mask = np.zeros((10, 10), np.float32)
        mask.flat[:valid] = 1
        assert (mask_rejection(mask) is not None) == dropped, valid
    mask = np.ones((2, 10), np.float32)
    assert depth_rejection(np.full((2, 10), 0.04, np.float32), mask) is None
    assert depth_rejection(np.where(np.arange(20).reshape(2, 10) == 7, 0.039, 1.0), mask) is not None
    # Channels alternating 0.5 +- d have a std of exactly d.
    for step, dropped in ((0.021, False), (0.019, True)):
        albedo = np.stack([0.5 + step * (-1.0) ** np.arange(20).reshape(2, 10)] * 3)
        assert (flat_albedo_rejection(albedo, mask) is not None) == dropped, step
    one_channel_varies = np.stack([np.full((2, 10), 0.3), np.full((2, 10), 0.3), np.linspace(0, 1, 20).reshape(2, 10)])
    assert flat_albedo_rejection(one_channel_varies, mask) is None


EVERYWHERE = (slice(None), slice(None))
REJECTED = {  # a target each rule drops, and the words of its reason
    "normal, 15 valid pixels": ("normal", _person(box=(slice(5, 8), slice(5, 10))), "under 16 valid pixels"),
    "normal, every pixel valid": ("normal", _person(box=EVERYWHERE), "over 96% of pixels valid"),
    "albedo, one flat colour": ("albedo", _person((0.3, 0.5, 0.7)), "one flat colour"),
    "albedo, every pixel valid": ("albedo", _person(SHADES[:, :1] + np.linspace(0, 0.2, 16)[None, :, None], EVERYWHERE), "over 96%"),
}


@pytest.mark.parametrize("rule", REJECTED)
def test_a_rejected_training_sample_is_replaced_by_another_image_and_kept_in_validation(tmp_path, no_geometry, rule) -> None:
    task, bad, reason = REJECTED[rule]
    good = _person(SHADES)
    root = _dense_folder(tmp_path, {"a_bad": bad, "b_good": good})
    data = DenseArrayDataset(root, task, input_size=(16, 20))
    assert reason in data.rejection(DenseArrayDataset(root, task, input_size=(16, 20), augment=False)[0])
    for epoch in range(4):
        data.set_epoch(epoch)
        np.testing.assert_array_equal(data[0]["target"].numpy(), good.transpose(2, 0, 1))
    held_out = DenseArrayDataset(root, task, input_size=(16, 20), augment=False)[0]
    np.testing.assert_array_equal(held_out["target"].numpy(), bad.transpose(2, 0, 1))


def test_replacements_are_reproducible_per_seed_epoch_and_index(tmp_path, no_geometry) -> None:
    """Sample 0 always fails (full coverage); its replacement is the same for the same seed and epoch, and
    over the epochs both other images stand in for it."""
    root = _dense_folder(tmp_path, {"a": _person(box=EVERYWHERE), "b": _person((0, 0.6, 0.8)), "c": _person((0.8, 0, 0.6))})
    first, second = DenseArrayDataset(root, "normal", input_size=(16, 20)), DenseArrayDataset(root, "normal", input_size=(16, 20))
    stand_ins = set()
    for epoch in range(8):
        first.set_epoch(epoch)
        second.set_epoch(epoch)
        a, b = first[0], second[0]
        assert all(torch.equal(a[key], b[key]) for key in a)
        stand_ins.add(tuple(round(v, 3) for v in a["target"][:, 10, 8].tolist()))
    assert stand_ins == {(0.0, 0.6, 0.8), (0.8, 0.0, 0.6)}


def test_a_dataset_with_no_sample_passing_is_a_clear_error_naming_the_rules(tmp_path, no_geometry) -> None:
    """(With the geometry on, a crop of another aspect would leave letterbox padding and let a full target pass.)"""
    full = _person(box=EVERYWHERE)
    data = DenseArrayDataset(_dense_folder(tmp_path, {"a": full, "b": full}), "normal", input_size=(16, 20))
    with pytest.raises(DatasetError, match="50 had over 96% of pixels valid: the filter expects a person on a background"):
        data[0]
    held_out = DenseArrayDataset(tmp_path, "normal", input_size=(16, 20), augment=False)
    assert held_out[0]["mask"].sum() == 20 * 16  # validation keeps what training cannot use
    empty = _person(box=(slice(0, 1), slice(0, 2)))
    data = DenseArrayDataset(_dense_folder(tmp_path / "mixed", {"a": full, "b": empty}), "normal", input_size=(16, 20))
    with pytest.raises(DatasetError) as error:
        data[0]
    counts = re.findall(r"(\d+) had (over 96%|under 16 valid pixels)", str(error.value))
    assert {rule for _, rule in counts} == {"over 96%", "under 16 valid pixels"} and sum(int(n) for n, _ in counts) == 50


@pytest.mark.parametrize("task", ["normal", "albedo"])
def test_samples_are_letterboxed_keeping_the_aspect_ratio_with_an_empty_mask_in_the_padding(tmp_path, no_geometry, task) -> None:
    """A 20 x 10 image into a 16 x 16 input: scale 0.8, a 16 x 8 content box between 4 padded rows above and below.
    The left half of the target (columns 0-9) lands in columns 0-7, the right half in 8-15 (nearest; bilinear
    too: output column j samples x = 1.25 j + 0.125, and no j falls between source columns 9 and 10)."""
    target = np.zeros((10, 20, 3), np.float32)
    target[:, :10], target[:, 10:] = (0.6, 0.0, 0.8), (0.0, 0.6, 0.8)
    image = np.random.default_rng(0).integers(0, 256, (10, 20, 3)).astype(np.uint8)
    (tmp_path / "images").mkdir()
    (tmp_path / "targets").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "wide.png"), image)
    np.save(tmp_path / "targets" / "wide.npy", target)
    sample = DenseArrayDataset(tmp_path, task, input_size=(16, 16), augment=False)[0]
    mask, values = sample["mask"][0].numpy(), sample["target"].numpy()
    assert mask[:4].sum() == mask[12:].sum() == 0 and mask[4:12].all()
    assert not values[:, :4].any() and not values[:, 12:].any()
    np.testing.assert_array_equal(values[:, 4:12, :8], np.broadcast_to(np.array([0.6, 0.0, 0.8], np.float32)[:, None, None], (3, 8, 8)))
    np.testing.assert_array_equal(values[:, 4:12, 8:], np.broadcast_to(np.array([0.0, 0.6, 0.8], np.float32)[:, None, None], (3, 8, 8)))
    np.testing.assert_array_equal(sample["image"].numpy(), normalize(letterbox(image, (16, 16))[0])[0])  # as at inference
    training = DenseArrayDataset(tmp_path, task, input_size=(16, 16))
    for epoch in range(3):
        training.set_epoch(epoch)
        np.testing.assert_array_equal(training[0]["mask"][0].numpy(), mask)


@pytest.mark.parametrize(
    ("task", "expected_row"),
    [
        # Scale 2: output column j samples source x = j / 2 - 0.25 (half-pixel centres, clamped at the border),
        # between source columns 0 (background), 0.2, 0.6 and 0.6, e.g. j = 3: 0.75 * 0.2 + 0.25 * 0.6 = 0.3.
        ("albedo", [0.0, 0.05, 0.15, 0.3, 0.5, 0.6, 0.6, 0.6]),
        ("normal", [0.0, 0.0, 0.2, 0.2, 0.6, 0.6, 0.6, 0.6]),  # source column floor(j / 2)
    ],
)
def test_the_letterbox_resizes_albedo_bilinearly_and_normals_and_masks_nearest(tmp_path, task, expected_row) -> None:
    """A 4 x 2 sample into an 8 x 8 input: scale 2, an 8 x 4 content box between 2 padded rows above and below."""
    colour = np.array([1.0, 0.5, 0.25], np.float32)
    target = np.array([0.0, 0.2, 0.6, 0.6], np.float32)[None, :, None] * colour
    target = np.repeat(target, 2, axis=0)
    _dense_folder(tmp_path, {"small": target})
    sample = DenseArrayDataset(tmp_path, task, input_size=(8, 8), augment=False)[0]
    values, mask = sample["target"].numpy(), sample["mask"][0].numpy()
    want = np.array(expected_row, np.float32)[:, None] * colour  # 8 x 3
    np.testing.assert_allclose(values[:, 2:6].transpose(1, 2, 0), np.broadcast_to(want, (4, 8, 3)), atol=1e-6)
    assert not values[:, :2].any() and not values[:, 6:].any()
    np.testing.assert_array_equal(mask[2:6], np.broadcast_to([0, 0, 1, 1, 1, 1, 1, 1], (4, 8)))  # binary, nearest
    assert not mask[:2].any() and not mask[6:].any()
