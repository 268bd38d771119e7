"""Dense post-processing: seg labels, normals, pointmaps, albedo back at the original image size."""

from __future__ import annotations

import numpy as np
import pytest
from sapiens2.processing import (
    Letterbox,
    albedo_to_image,
    canonical_to_metric,
    focal_length_px,
    foreground_mask,
    letterbox,
    normals_to_image,
    pointmap_to_image,
    segmentation_labels,
)


def test_segmentation_labels_upsample_then_argmax_by_hand() -> None:
    # Class 0 logit = column index (0..3), class 1 = 1.6 everywhere, width 4 -> 8.
    logits = np.stack([np.tile(np.arange(4, dtype=np.float32), (2, 1)), np.full((2, 4), 1.6, np.float32)])
    labels = segmentation_labels(logits, (3, 8))
    # Half-pixel bilinear: output column j samples x = j/2 - 0.25 -> 0, .25, .75, 1.25, 1.75, 2.25, 2.75, 3.
    assert labels.shape == (3, 8) and labels.dtype == np.int32
    assert labels.tolist() == [[1, 1, 1, 1, 0, 0, 0, 0]] * 3


def test_segmentation_ties_keep_the_lower_class() -> None:
    logits = np.zeros((3, 2, 2), np.float32)
    logits[2, 0, 0] = 1.0
    assert segmentation_labels(logits, (2, 2)).tolist() == [[2, 0], [0, 0]]


def test_segmentation_matches_full_argmax_on_random_logits() -> None:
    torch = pytest.importorskip("torch")
    logits = np.random.default_rng(0).normal(size=(29, 16, 12)).astype(np.float32)
    upsampled = torch.nn.functional.interpolate(
        torch.from_numpy(logits)[None], size=(40, 30), mode="bilinear", align_corners=False
    )
    assert np.array_equal(segmentation_labels(logits, (40, 30)), upsampled[0].argmax(0).numpy())


def test_foreground_mask() -> None:
    labels = np.array([[0, 3], [22, 0]])
    assert foreground_mask(labels).tolist() == [[False, True], [True, False]]
    assert (
        foreground_mask(labels, (4, 4)).tolist() == [[False, False, True, True]] * 2 + [[True, True, False, False]] * 2
    )


BOX = Letterbox(padding=(1, 1, 2, 0), content_shape=(4, 6), original_shape=(8, 12))  # model input 6 x 8 (h x w)


def test_normals_unit_length_at_model_resolution_then_cropped_and_resized() -> None:
    raw = np.zeros((3, 6, 8), np.float32)
    raw[2] = 5.0  # pointing at the camera, length 5
    raw[:, :, :4] = np.array([3.0, 0.0, 4.0]).reshape(3, 1, 1)  # left half: (0.6, 0, 0.8) x 5
    raw[:, :2] = 100.0  # top padding rows (cropped away)
    normals = normals_to_image(raw, BOX)
    assert normals.shape == (8, 12, 3) and normals.dtype == np.float32
    np.testing.assert_allclose(normals[:, 0], [[0.6, 0, 0.8]] * 8, atol=1e-6)
    np.testing.assert_allclose(normals[:, -1], [[0, 0, 1]] * 8, atol=1e-6)
    # Not re-normalised after resizing: the blend across the edge is shorter than 1.
    assert np.linalg.norm(normals, axis=-1).min() < 0.99


def test_normals_of_zero_vectors_stay_finite() -> None:
    assert np.isfinite(normals_to_image(np.zeros((3, 6, 8), np.float32), BOX)).all()


def test_albedo_is_clamped() -> None:
    raw = np.full((3, 6, 8), 1.5, np.float32)
    raw[0] = -0.5
    albedo = albedo_to_image(raw, BOX)
    assert albedo.shape == (8, 12, 3) and albedo[..., 0].max() == 0.0 and albedo[..., 1].min() == 1.0


def test_pointmap_divides_by_scale_and_depth_is_z() -> None:
    metric = np.zeros((3, 6, 8), np.float32)
    metric[0], metric[1], metric[2] = 0.5, -0.25, 3.0
    points, depth = pointmap_to_image(metric * 0.4, 0.4, BOX)
    np.testing.assert_allclose(points, np.broadcast_to([0.5, -0.25, 3.0], (8, 12, 3)), rtol=1e-6)
    np.testing.assert_allclose(depth, 3.0, rtol=1e-6)


def test_canonical_to_metric_is_per_image_in_a_batch() -> None:
    canonical = np.ones((2, 3, 2, 2), np.float32)
    metric = canonical_to_metric(canonical, np.array([[0.5], [2.0]]))
    assert metric[0].max() == 2.0 and metric[1].max() == 0.5
    with pytest.raises(ValueError, match="2 scales"):
        canonical_to_metric(canonical, [1.0, 2.0, 3.0])
    assert canonical_to_metric(canonical[0], 4.0).max() == 0.25


def test_focal_length_in_original_pixels_by_hand() -> None:
    _, box = letterbox(np.zeros((500, 1000, 3), np.uint8))  # content 768 wide for a 1000-wide image
    # fx at the model input = 768 / 0.5 = 1536 px; the image is 1000 / 768 times wider.
    assert focal_length_px(0.5, box) == pytest.approx(2000.0)
    assert focal_length_px(0.5, box, canonical_focal=384.0) == pytest.approx(1000.0)
