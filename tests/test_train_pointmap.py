"""Pointmap training from folders of arrays: canonical targets, intrinsics that follow the crop, a run end to end."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import yaml

from sapiens2.checkpoints import load_model
from sapiens2.train.config import load_config
from sapiens2.train.data import DatasetError, geometric, pointmap_folder
from sapiens2.train.data.pointmap_folder import PointmapFolderDataset
from sapiens2.train.pointmap_losses import intrinsics_consistency
from sapiens2.train.trainer import Trainer
from train_datasets import tiny_pose_config

FOCAL, CX, CY = 40.0, 13.0, 15.5  # cx off the middle, so that a flip moves it


def write_pointmap_folder(root, count: int = 2):
    """32x32 views of a slanted plane Z = 2 + 0.02 u through a pinhole camera (f 40, centre (13, 15.5)); the
    top-left 4x4 corner has no depth (NaN) and the bottom 4 rows are background (all zero), so that 86 % of
    the pixels are valid (the training filter drops samples with over 96 %)."""
    import cv2

    for folder in ("images", "targets", "intrinsics"):
        (root / folder).mkdir(parents=True)
    v, u = np.mgrid[0:32, 0:32].astype(np.float32)
    z = 2 + 0.02 * u
    points = np.stack([(u - CX) * z / FOCAL, (v - CY) * z / FOCAL, z], axis=-1)
    points[:4, :4] = np.nan
    points[28:] = 0
    camera = np.array([[FOCAL, 0, CX], [0, FOCAL, CY], [0, 0, 1]], np.float32)
    for i in range(count):
        cv2.imwrite(str(root / "images" / f"{i}.png"), (np.stack([u * 8, v * 8, z * 50], -1) + i).astype(np.uint8))
        np.save(root / "targets" / f"{i}.npy", points)
        np.save(root / "intrinsics" / f"{i}.npy", camera)
    return root


def test_targets_are_canonical_with_the_scale_of_the_input_focal_length(tmp_path) -> None:
    data = PointmapFolderDataset(write_pointmap_folder(tmp_path / "d"), input_size=(32, 32), augment=False)
    sample = data[0]
    assert sample["scale"].item() == pytest.approx(768 / FOCAL)
    mask = sample["mask"][0]
    assert mask[:4, :4].sum() == 0 and mask[4:28, 4:].all() and mask[28:].sum() == 0
    # Pixel (u 10, v 20): Z = 2.2, canonical = 19.2 * metric.
    expected = 768 / FOCAL * np.array([(10 - CX) * 2.2 / FOCAL, (20 - CY) * 2.2 / FOCAL, 2.2])
    np.testing.assert_allclose(sample["target"][:, 20, 10].numpy(), expected, rtol=1e-5)
    # At half the size the focal length halves, so the scale doubles.
    half = PointmapFolderDataset(tmp_path / "d", input_size=(16, 16), augment=False)[0]
    assert half["scale"].item() == pytest.approx(2 * 768 / FOCAL)
    assert half["intrinsics"][0, 0].item() == pytest.approx(FOCAL / 2)


def test_flipped_samples_still_lie_on_their_camera_rays(tmp_path, monkeypatch) -> None:
    """The flip negates X and mirrors cx together: the points stay on the rays of the sample's intrinsics
    (exactly, with the random scale and crop off: then no pixel is resampled)."""
    monkeypatch.setattr(geometric, "SCALE_PROB", 0.0)
    monkeypatch.setattr(geometric, "CROP_PROB", 0.0)
    data = PointmapFolderDataset(write_pointmap_folder(tmp_path / "d"), input_size=(32, 32), augment=True)
    flipped = 0
    for epoch in range(8):
        data.set_epoch(epoch)
        sample = data[0]
        flipped += sample["intrinsics"][0, 2].item() == pytest.approx(31 - CX)
        error = intrinsics_consistency(sample["target"][None], sample["intrinsics"][None], sample["mask"][None])
        assert error.item() == pytest.approx(0, abs=1e-4)
    assert flipped > 0


def test_scaled_and_cropped_samples_project_to_their_pixels(tmp_path, monkeypatch) -> None:
    """With the random scale and crop always on, each target point projects through the sample's intrinsics
    to within the error of the two nearest resamplings (+-s/2 of the scale, then [0, r) of the letterbox's
    r: at most 2.5 k pixels for the total scale k = r s, s in [0.5, 2]), under a pixel on average;
    intrinsics that missed the crop's shift are off by 2-4 pixels on average here."""
    monkeypatch.setattr(geometric, "SCALE_PROB", 1.0)
    monkeypatch.setattr(geometric, "CROP_PROB", 1.0)
    data = PointmapFolderDataset(write_pointmap_folder(tmp_path / "d"), input_size=(32, 32), augment=True)
    focal_lengths = set()
    for epoch in range(6):
        data.set_epoch(epoch)
        sample = data[0]
        x, y, z = sample["target"].numpy()
        camera, valid = sample["intrinsics"].numpy(), sample["mask"][0].numpy() > 0
        v, u = np.mgrid[0:32, 0:32]
        error_u = camera[0, 0] * x / np.where(valid, z, 1) + camera[0, 2] - u
        error_v = camera[1, 1] * y / np.where(valid, z, 1) + camera[1, 2] - v
        bound = 2.5 * max(camera[0, 0], camera[1, 1]) / FOCAL
        assert np.abs(error_u[valid]).max() <= bound and np.abs(error_v[valid]).max() <= bound
        assert np.abs(error_u[valid]).mean() < 1 and np.abs(error_v[valid]).mean() < 1
        focal_lengths.add(round(float(camera[0, 0]), 3))
    assert len(focal_lengths) > 1


@pytest.mark.parametrize(("depth", "dropped"), [(0.001, True), (0.01, False)])
def test_training_drops_a_canonical_depth_under_the_official_limit(tmp_path, monkeypatch, depth, dropped) -> None:
    """One pixel of image 0 moved along its ray to ``depth`` metres. At f 40 and a 32x32 input the canonical
    scale is 768 / 40 = 19.2: 1 mm becomes 0.019 (< 0.04, dropped: image 1 stands in), 1 cm becomes 0.19 (kept,
    though a metric 0.01 is under 0.04: the limit is on the canonical depth)."""
    monkeypatch.setattr(geometric, "SCALE_PROB", 0.0)
    monkeypatch.setattr(geometric, "CROP_PROB", 0.0)
    monkeypatch.setattr(pointmap_folder, "FLIP_PROB", 0.0)
    root = write_pointmap_folder(tmp_path / "d")
    points = np.load(root / "targets" / "0.npy")
    points[20, 10] *= depth / points[20, 10, 2]
    np.save(root / "targets" / "0.npy", points)
    plain = PointmapFolderDataset(root, input_size=(32, 32), augment=False)
    assert plain[0]["target"][2, 20, 10].item() == pytest.approx(19.2 * depth)  # validation keeps it
    data = PointmapFolderDataset(root, input_size=(32, 32))
    for epoch in range(4):
        data.set_epoch(epoch)
        expected = plain[1 if dropped else 0]["target"]
        assert torch.equal(data[0]["target"], expected)


def test_a_pointmap_covering_the_whole_input_is_a_clear_error_in_training_only(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(geometric, "SCALE_PROB", 0.0)
    monkeypatch.setattr(geometric, "CROP_PROB", 0.0)
    root = write_pointmap_folder(tmp_path / "d")
    for i in range(2):
        points = np.load(root / "targets" / f"{i}.npy")
        np.save(root / "targets" / f"{i}.npy", np.where(points[..., 2:] > 0, points, points[4:5, 4:5]))
    with pytest.raises(DatasetError, match="50 had over 96% of pixels valid: the filter expects a person"):
        PointmapFolderDataset(root, input_size=(32, 32))[0]
    assert PointmapFolderDataset(root, input_size=(32, 32), augment=False)[0]["mask"].all()


def test_a_missing_intrinsics_folder_is_a_clear_error(tmp_path) -> None:
    root = write_pointmap_folder(tmp_path / "d")
    for path in (root / "intrinsics").iterdir():
        path.unlink()
    (root / "intrinsics").rmdir()
    with pytest.raises(DatasetError, match="needs an 'intrinsics/' folder"):
        PointmapFolderDataset(root)


def test_a_tiny_pointmap_model_trains_validates_and_saves(tmp_path) -> None:
    root = write_pointmap_folder(tmp_path / "d")
    config = tiny_pose_config(root, tmp_path / "run", schedule={"iters": 2, "warmup_iters": 1})
    head = {
        "upsample_channels": [8, 8, 8, 8],
        "conv_out_channels": [8, 8, 8],
        "scale_conv_out_channels": [8, 8, 8],
        # 32x144 input: a 2x9 token grid, 1x2 after three stride-2 convs (InstanceNorm needs more than one cell)
        "scale_final_layer": [16, 8, 8, 1],
    }
    config["model"] |= {"task": "pointmap", "img_size": [32, 144], "head": head}
    config["data"] |= {"format": "arrays", "train": str(root), "val": str(root)}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    result = Trainer(load_config(tmp_path / "c.yaml")).fit()
    assert result.metric_name == "mean L2 (canonical)" and np.isfinite(result.metric) and result.metric > 0
    model = load_model(result.model_file, expect="task")
    assert model.task == "pointmap"
    pointmap, scale = model(torch.zeros(1, 3, 32, 144))
    assert pointmap.shape == (1, 3, 32, 144) and scale.shape == (1, 1)
