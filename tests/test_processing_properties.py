"""Property tests: the processing functions give a result or the SDK's own error, never another exception.

Random sizes, dtypes and channel counts for images; boxes with NaN, inf, inverted, huge or no
coordinates at all.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sapiens2.errors import UserError
from sapiens2.processing import crop_people, letterbox, load_image, person_boxes, stretch_resize
from sapiens2.processing.validate import validate_boxes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
dtypes = st.sampled_from([np.uint8, np.uint16, np.int32, np.float32, np.float64, np.bool_])
shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=24)
numbers = st.floats(allow_nan=True, allow_infinity=True, width=32) | st.sampled_from([0.0, -1.0, 1e30, -1e30])
small_images = hnp.arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.just(3)))


@SETTINGS
@given(hnp.arrays(dtypes, shapes), st.sampled_from(["rgb", "bgr"]))
def test_any_array_becomes_a_bgr_image_or_an_input_error(array: np.ndarray, order: str) -> None:
    try:
        image = load_image(array, order)
    except UserError:
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and image.shape[:2] == array.shape[:2]


@SETTINGS
@given(small_images, st.lists(st.lists(numbers, min_size=0, max_size=6), max_size=4))
def test_any_boxes_give_person_crops_or_an_input_error(image: np.ndarray, boxes: list[list[float]]) -> None:
    try:
        people = person_boxes(image, boxes)
    except UserError:
        return
    assert people.shape == (len(boxes) if boxes and boxes[0] else 0, 5) and np.isfinite(people).all()
    height, width = image.shape[:2]
    assert (people[:, 2] >= 0).all() and (people[:, 0] <= width - 1).all()  # each overlaps the image
    crops, geometry = crop_people(image, people, (12, 16))
    assert crops.shape == (len(people), 16, 12, 3) and len(geometry) == len(people)


@SETTINGS
@given(st.recursive(numbers | st.text(max_size=2) | st.none(), lambda inner: st.lists(inner, max_size=4), max_leaves=12))
def test_any_json_like_boxes_are_validated_or_refused(value: object) -> None:
    try:
        boxes = validate_boxes(value)
    except UserError:
        return
    assert boxes.ndim == 2 and boxes.shape[1] in (4, 5) and np.isfinite(boxes).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()


@SETTINGS
@given(small_images, st.integers(1, 64), st.integers(1, 64))
def test_resizes_take_any_image_size(image: np.ndarray, height: int, width: int) -> None:
    assert stretch_resize(image, (width, height)).shape == (height, width, 3)
    boxed, _ = letterbox(image, (width, height))
    assert boxed.shape == (height, width, 3)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_coordinate_is_named(bad: float) -> None:
    with pytest.raises(UserError, match="box 1 .* non-finite"):
        validate_boxes([[0, 0, 5, 5], [0, bad, 5, 5]])
