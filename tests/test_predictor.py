"""The Predictor glues processing and a runtime: its results equal the steps composed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import sapiens2
from sapiens2.errors import UserError
from sapiens2.pipelines import ModelFeeder, ModelIO
from sapiens2.processing import (
    TopdownCrop,
    average_flip_heatmaps,
    decode_pose,
    flip_image,
    keypoint_metadata,
    load_image,
    normalize,
    segmentation_labels,
    stretch_resize,
)
from sapiens2.checkpoints import load_model
from sapiens2.cli.demo_cmd import demo_pose_checkpoint

from fixture_paths import IMAGES, case_checkpoint

MESSI = IMAGES / "messi5.jpg"
POSE_SIZE = (256, 192)  # (H, W): small, to keep the fixture model fast


@pytest.fixture(scope="module")
def pose_model() -> torch.nn.Module:
    return load_model(case_checkpoint("task_pose"), expect="task")


def forward(model: torch.nn.Module, images_bgr: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(normalize(images_bgr))).numpy()


def test_pose_with_flip_equals_the_steps_composed_by_hand(pose_model: torch.nn.Module) -> None:
    box = np.array([[180.0, 20.0, 330.0, 330.0]], dtype=np.float32)
    predictor = sapiens2.load(case_checkpoint("task_pose"), input_size=POSE_SIZE, flip=True)
    result = predictor.predict(str(MESSI), boxes=box)

    image = load_image(str(MESSI))
    crop = TopdownCrop.from_box(box[0], input_size=(192, 256))
    patch = crop.warp(image)[None]
    heatmaps = average_flip_heatmaps(
        forward(pose_model, patch), forward(pose_model, flip_image(patch)), keypoint_metadata().flip_indices
    )
    keypoints, scores = decode_pose(heatmaps, [crop])
    np.testing.assert_allclose(result.keypoints, keypoints, atol=1e-3)
    np.testing.assert_allclose(result.keypoint_scores, scores, atol=1e-5)
    np.testing.assert_array_equal(result.boxes, box)
    assert result.meta["runtime"] == "torch" and result.meta["device"] == "cpu"


def test_seg_labels_equal_the_steps_composed_by_hand() -> None:
    model = load_model(case_checkpoint("task_seg"), expect="task")
    image = load_image(str(MESSI))
    logits = forward(model, stretch_resize(image, (96, 128))[None])
    expected = segmentation_labels(logits[0], image.shape[:2])
    result = sapiens2.load(case_checkpoint("task_seg"), input_size=(128, 96)).predict(str(MESSI))
    np.testing.assert_array_equal(result.labels, expected)


def test_a_list_gives_the_same_results_as_one_by_one_whatever_the_batch() -> None:
    # The packaged trained student, not the untrained fixture model: on an untrained model's flat heatmaps the
    # sub-pixel refinement is ill-conditioned, so the ~1e-6 a batch-dependent convolution kernel moves the maps
    # by (oneDNN on AMX CPUs) can move a refined keypoint by pixels. Peaked maps keep it to rounding, and a
    # wrong crop or a result given to the wrong image still moves the keypoints by tens of pixels.
    paths = [str(IMAGES / name) for name in ("astronaut.png", "messi5.jpg", "basketball1.png")]
    one_by_one = sapiens2.load(demo_pose_checkpoint(), batch_size=1)
    batched = sapiens2.load(demo_pose_checkpoint(), batch_size=8)
    together = batched.predict(paths)
    for path, result in zip(paths, together):
        alone = one_by_one.predict(path)
        np.testing.assert_allclose(result.keypoints, alone.keypoints, atol=1e-2)
        np.testing.assert_allclose(result.keypoint_scores, alone.keypoint_scores, atol=1e-4)


def test_dense_results_have_the_image_size_and_take_a_foreground_mask() -> None:
    seg = sapiens2.load(case_checkpoint("task_seg"), input_size=(128, 96)).predict(str(MESSI))
    normal = sapiens2.load(case_checkpoint("task_normal"), input_size=(128, 96)).predict(str(MESSI), foreground=seg)
    assert normal.normals.shape == (342, 548, 3)
    np.testing.assert_array_equal(normal.mask, seg.labels > 0)
    lengths = np.linalg.norm(normal.normals, axis=-1)
    assert 0.5 < np.median(lengths) <= 1.0 + 1e-5  # unit at model resolution; bilinear resize shortens a little
    albedo = sapiens2.load(case_checkpoint("task_albedo"), input_size=(128, 96)).predict(str(MESSI))
    assert albedo.albedo.shape == (342, 548, 3) and albedo.albedo.min() >= 0 and albedo.albedo.max() <= 1


def test_pointmap_runs_at_its_scale_head_size_and_refuses_others() -> None:
    with pytest.raises(UserError, match="its MLP takes 96 features, this size gives 768"):
        sapiens2.load(case_checkpoint("task_pointmap"))
    result = sapiens2.load(case_checkpoint("task_pointmap"), input_size=(384, 256)).predict(str(MESSI))
    np.testing.assert_array_equal(result.depth, result.points[..., 2])
    assert result.depth.shape == (342, 548) and np.isfinite(result.focal_length)


def test_predict_video_yields_one_result_per_frame() -> None:
    predictor = sapiens2.load(case_checkpoint("task_seg"), input_size=(128, 96))
    results = list(predictor.predict_video(str(IMAGES / "vtest.avi"), max_frames=3))
    assert len(results) == 3 and all(r.labels.shape == (576, 768) for r in results)


def test_random_weights_need_the_flag_and_then_warn_in_every_result() -> None:
    tiny = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 128, "num_tokenizer_layers": 1}
    with pytest.raises(UserError, match="random_weights=True"):
        sapiens2.load(arch=tiny, task="seg")
    with pytest.warns(UserWarning, match="RANDOM WEIGHTS"):
        predictor = sapiens2.load(arch=tiny, task="seg", random_weights=True, input_size=(64, 48))
    result = predictor.predict(str(MESSI))
    assert result.to_dict()["meta"]["random_weights"] is True
    assert "RANDOM WEIGHTS" in result.to_json()


def test_feeder_sends_uint8_rgb_to_artifacts_that_normalise_in_graph() -> None:
    seen = {}

    def run(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        seen.update(batch)
        return {"labels": np.zeros((1, 4, 4), np.uint8)}

    images = np.zeros((1, 4, 4, 3), np.uint8)
    images[..., 0] = 200  # blue in BGR
    io = ModelIO(task="seg", input_size=(4, 4), output_names=("labels",), pixel_layout="NCHW")
    ModelFeeder(io, run)(images)
    assert seen["image"].dtype == np.uint8 and seen["image"].shape == (1, 3, 4, 4)
    assert seen["image"][0, 2].max() == 200 and seen["image"][0, 0].max() == 0  # blue is the last RGB plane


def test_flip_on_a_peaks_only_bundle_and_nan_outputs_are_user_errors() -> None:
    from sapiens2.pipelines import PosePipeline
    from sapiens2.predictor import Predictor

    with pytest.raises(UserError, match="the flip test .* needs heatmaps"):
        PosePipeline(ModelIO("pose", (64, 48), ("keypoints", "scores")), flip=True)
    io = ModelIO("seg", (64, 48), ("logits",))
    broken = Predictor(io, lambda batch: {"logits": np.full((len(batch["image"]), 29, 64, 48), np.nan, np.float32)})
    with pytest.raises(UserError, match=r"produced 89088 non-finite value\(s\) \(NaN/inf\) of 89088 in its 'logits' output"):
        broken.predict(np.zeros((40, 30, 3), np.uint8), color_order="bgr")
