"""Result types: validation, JSON export, pictures and atomic saving."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from sapiens2.processing import keypoint_metadata
from sapiens2.results import (
    AlbedoResult,
    NormalResult,
    PointmapResult,
    PoseResult,
    SegResult,
    storage,
)

RANDOM_WEIGHTS = {"warning": "random weights: outputs are meaningless"}


def _pose() -> PoseResult:
    keypoints = np.zeros((2, 308, 2), np.float32)
    keypoints[0, 0] = (12.5, 20.25)
    keypoints[1, 0] = (40.0, 10.0)
    scores = np.full((2, 308), 0.1, np.float32)
    scores[:, 0] = (0.9, 0.2)
    boxes = np.array([[1, 2, 30, 40], [35, 5, 60, 45]], np.float32)
    return PoseResult(boxes, [0.95, 0.5], keypoints, scores, (48, 64), meta=dict(RANDOM_WEIGHTS))


def test_pose_to_dict_has_every_instance_in_full() -> None:
    data = json.loads(_pose().to_json())
    assert data["task"] == "pose" and data["image_size"] == [48, 64] and data["meta"] == RANDOM_WEIGHTS
    assert data["num_keypoints"] == 308 and data["keypoint_names"] == list(keypoint_metadata().names)
    first = data["instances"][0]
    assert first["bbox"] == [1, 2, 30, 40] and first["bbox_score"] == pytest.approx(0.95)
    assert len(first["keypoints"]) == 308 and first["keypoints"][0] == [12.5, 20.25]
    assert first["keypoint_scores"][0] == pytest.approx(0.9)
    assert data["instances"][1]["keypoints"][0] == [40.0, 10.0]


def test_pose_validates_shapes() -> None:
    with pytest.raises(ValueError, match="keypoints has shape"):
        PoseResult(np.zeros((1, 4)), [1.0], np.zeros((1, 17, 2)), np.zeros((1, 17)), (10, 10))
    with pytest.raises(ValueError, match="box_scores"):
        PoseResult(np.zeros((2, 4)), [1.0], np.zeros((2, 308, 2)), np.zeros((2, 308)), (10, 10))
    empty = PoseResult(np.zeros((0, 4)), [], np.zeros((0, 308, 2)), np.zeros((0, 308)), (10, 10))
    assert empty.to_dict()["instances"] == [] and empty.draw().shape == (10, 10, 3)


def test_pose_draw_respects_threshold() -> None:
    result, color = _pose(), keypoint_metadata().keypoint_colors_rgb[0][::-1].tolist()
    picture = result.draw(np.zeros((48, 64, 3), np.uint8))
    assert picture[20, 12].tolist() == color  # score 0.9 (pixel rounding of 12.5, 20.25)
    assert picture[10, 40].tolist() == [0, 0, 0]  # score 0.2
    assert result.draw(threshold=0.1)[10, 40].tolist() == color


def test_seg_result() -> None:
    labels = np.zeros((4, 6), np.int64)
    labels[1:3, 2:4] = 15
    result = SegResult(labels, meta=dict(RANDOM_WEIGHTS))
    data = json.loads(result.to_json())
    assert data["pixel_counts"] == {"Background": 20, "Right_Hand": 4} and data["meta"] == RANDOM_WEIGHTS
    assert data["class_names"][15] == "Right_Hand" and "npy" in data["note"]
    image = np.full((4, 6, 3), 100, np.uint8)
    assert result.draw(image)[1, 2].tolist() == [50, 50, 178]  # 0.5 * (100,100,100) + 0.5 * (0,0,255), rounded
    assert result.draw()[1, 2].tolist() == [0, 0, 255]
    assert result.foreground.sum() == 4
    with pytest.raises(ValueError, match="image_bgr"):
        result.draw(np.zeros((5, 6, 3), np.uint8))


def test_dense_results_summaries_use_the_mask() -> None:
    mask = np.zeros((4, 6), bool)
    mask[:, :3] = True
    depth = np.where(mask, 2.0, 50.0).astype(np.float32)
    depth[0, 0] = np.nan
    points = np.dstack([np.zeros_like(depth), np.zeros_like(depth), depth])
    result = PointmapResult(points, depth, scale=0.5, focal_length=1536.0, mask=mask, meta=dict(RANDOM_WEIGHTS))
    data = json.loads(result.to_json())  # NaN never reaches the JSON
    assert data["depth"] == {"shape": [4, 6], "dtype": "float32", "min": 2.0, "max": 2.0, "mean": 2.0}
    assert data["scale"] == 0.5 and data["focal_length_px"] == 1536.0 and data["mask"] == {"foreground_fraction": 0.5}
    assert data["meta"] == RANDOM_WEIGHTS
    assert (result.draw()[:, 3:] == 100).all()

    normals = np.zeros((4, 6, 3), np.float32)
    normals[..., 2] = 1.0
    normal_result = NormalResult(normals, mask)
    assert json.loads(normal_result.to_json())["normals"]["mean"] == pytest.approx(1 / 3)
    background = np.full((4, 6, 3), 7, np.uint8)
    drawn = normal_result.draw(background)
    assert drawn[0, 5].tolist() == [7, 7, 7] and drawn[0, 0].tolist() == [255, 127, 127]

    albedo = AlbedoResult(np.full((4, 6, 3), 0.5, np.float32), mask)
    assert albedo.draw()[0, 5].tolist() == [100, 100, 100] and albedo.draw()[0, 0].tolist() == [127, 127, 127]
    with pytest.raises(ValueError, match="mask"):
        AlbedoResult(np.zeros((4, 6, 3)), np.zeros((3, 6), bool))


def test_save_writes_png_json_and_arrays(tmp_path: Path) -> None:
    labels = np.arange(24).reshape(4, 6) % 29
    written = SegResult(labels).save(tmp_path / "out", "frame0", np.zeros((4, 6, 3), np.uint8))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "frame0_seg.json",
        "frame0_seg.npy",
        "frame0_seg.png",
    ]
    assert np.array_equal(np.load(written["seg"]), labels) and np.load(written["seg"]).dtype == np.uint8
    assert json.loads(written["json"].read_text())["task"] == "seg"
    png = cv2.imread(str(written["png"]))
    assert np.array_equal(png, SegResult(labels).draw(np.zeros((4, 6, 3), np.uint8)))

    depth = np.ones((4, 6), np.float32)
    pointmap = PointmapResult(np.dstack([depth, depth, depth]), depth, 1.0, 768.0)
    names = {k: p.name for k, p in pointmap.save(tmp_path, "x").items()}
    assert names == {
        "png": "x_pointmap.png",
        "json": "x_pointmap.json",
        "pointmap": "x_pointmap.npy",
        "depth": "x_depth.npy",
    }
    pose_files = _pose().save(tmp_path, "x")
    assert set(pose_files) == {"png", "json"} and cv2.imread(str(pose_files["png"])).shape == (48, 64, 3)


def test_interrupted_save_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a_normal.npy"
    target.write_bytes(b"previous complete file")

    def failing_save(handle, array, allow_pickle):
        handle.write(b"\x93NUMPY half")
        raise KeyboardInterrupt

    monkeypatch.setattr(storage.np, "save", failing_save)
    with pytest.raises(KeyboardInterrupt):
        NormalResult(np.zeros((2, 2, 3), np.float32)).save(tmp_path, "a")
    assert target.read_bytes() == b"previous complete file"
    # Whole results or none: the PNG and JSON that encoded fine were not published either.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_normal.npy"]
