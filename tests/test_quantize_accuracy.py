"""Accuracy-gate metrics against hand computations, and the gate's verdict."""

from __future__ import annotations

import numpy as np
import pytest
from sapiens2.compile.options import MIN_ACCURACY, CompileOptions
from sapiens2.quantize.accuracy import class_overlaps, gate, keypoint_errors, mean_iou, pck


def test_pck_counts_keypoints_within_five_percent_of_the_box() -> None:
    reference = np.array([[[10.0, 10.0], [20.0, 20.0], [30.0, 30.0]]])
    candidate = np.array([[[13.0, 14.0], [20.0, 26.0], [30.0, 30.0]]])
    errors = keypoint_errors(reference, candidate)
    np.testing.assert_allclose(errors, [[5.0, 6.0, 0.0]])
    box = np.array([[0.0, 0.0, 60.0, 110.0]])  # longer side 110 px: 5 % is 5.5 px
    assert pck(errors, box) == pytest.approx(2 / 3)


def test_miou_over_classes_present_in_either_map() -> None:
    reference = np.array([[0, 0, 1, 1], [2, 2, 2, 2]])
    candidate = np.array([[0, 1, 1, 1], [2, 2, 2, 3]])
    intersection, union = class_overlaps(reference, candidate, 5)
    np.testing.assert_array_equal(intersection, [1, 2, 3, 0, 0])
    np.testing.assert_array_equal(union, [2, 3, 4, 1, 0])
    assert mean_iou(intersection, union) == pytest.approx(np.mean([1 / 2, 2 / 3, 3 / 4, 0.0]))  # class 4: absent, not counted


def test_gate_applies_the_thresholds_of_the_measured_metrics() -> None:
    thresholds = CompileOptions(precision="int8", min_pck=0.5).accuracy_thresholds
    assert thresholds == {**MIN_ACCURACY["int8"], "pck": 0.5}
    pose = gate({"feature_cosine_min": 0.995, "pck_0.05": 0.4}, thresholds)
    assert not pose["passed"] and pose["failures"] == ["pck_0.05 0.40000 < 0.5"]
    assert set(pose["thresholds"]) == {"feature_cosine", "pck"}  # seg thresholds do not apply to pose
    seg = gate({"feature_cosine_min": 0.999, "pixel_agreement": 0.99, "miou": 0.95}, thresholds)
    assert seg["passed"] and seg["failures"] == []
