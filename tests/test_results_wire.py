"""Results survive the trip over HTTP: the decoded Result equals the encoded one (float16 within its precision)."""

from __future__ import annotations

import numpy as np
import pytest

from sapiens2.results import AlbedoResult, NormalResult, PointmapResult, PoseResult, SegResult
from sapiens2.results.wire import JSON_MEDIA_TYPE, NPZ_MEDIA_TYPE, decode_result, encode_result

RNG = np.random.default_rng(0)


def round_trip(result, **options):
    body, media_type = encode_result(result, **options)
    return decode_result(body, media_type), media_type


def test_pose_travels_as_json_exactly() -> None:
    result = PoseResult(
        boxes=[[1.5, 2.0, 30.0, 40.0]],
        box_scores=[0.75],
        keypoints=RNG.normal(size=(1, 308, 2)).astype(np.float32),
        keypoint_scores=RNG.random((1, 308)).astype(np.float32),
        image_size=(50, 40),
        meta={"runtime": "torch"},
    )
    decoded, media_type = round_trip(result)
    assert media_type == JSON_MEDIA_TYPE and isinstance(decoded, PoseResult)
    for name in ("boxes", "box_scores", "keypoints", "keypoint_scores"):
        np.testing.assert_array_equal(getattr(decoded, name), getattr(result, name))
    assert decoded.image_size == (50, 40) and decoded.meta == {"runtime": "torch"}


def test_dense_maps_travel_as_npz_in_float16_or_exact_float32() -> None:
    normals = RNG.normal(size=(6, 5, 3)).astype(np.float32)
    compact, media_type = round_trip(NormalResult(normals))
    assert media_type == NPZ_MEDIA_TYPE
    np.testing.assert_allclose(compact.normals, normals, rtol=2**-11, atol=2**-24)  # float16: 11 significant bits
    exact, _ = round_trip(NormalResult(normals), dense_dtype="float32")
    np.testing.assert_array_equal(exact.normals, normals)


def test_labels_pointmaps_and_albedo_come_back_whole() -> None:
    labels = RNG.integers(0, 29, size=(7, 4)).astype(np.uint8)
    seg, _ = round_trip(SegResult(labels))
    np.testing.assert_array_equal(seg.labels, labels)
    points = RNG.normal(size=(3, 2, 3)).astype(np.float32)
    pointmap, _ = round_trip(PointmapResult(points, points[..., 2], scale=2.0, focal_length=384.0), dense_dtype="float32")
    np.testing.assert_array_equal(pointmap.depth, points[..., 2])
    assert (pointmap.scale, pointmap.focal_length) == (2.0, 384.0)
    albedo, _ = round_trip(AlbedoResult(RNG.random((2, 2, 3))), dense_dtype="float32")
    assert albedo.albedo.shape == (2, 2, 3)


def test_a_dense_result_without_its_arrays_says_which_to_ask_for() -> None:
    body, media_type = encode_result(SegResult(np.zeros((2, 2), np.uint8)), outputs=[])
    assert media_type == JSON_MEDIA_TYPE
    with pytest.raises(ValueError, match="outputs including 'seg'"):
        decode_result(body, media_type)
