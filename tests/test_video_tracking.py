"""Person tracking: IoU by hand, IDs that follow people through crossings and gaps, OKS for overlapping boxes."""

from __future__ import annotations

import numpy as np
import pytest

from sapiens2.processing import HogPersonDetector, filter_boxes
from sapiens2.processing.tracking import PersonTracker, box_iou, boxes_from_keypoints, keypoint_similarity
from sapiens2.processing.video_io import VideoSource

from fixture_paths import IMAGES


def test_box_iou_by_hand() -> None:
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10], [20, 20, 30, 30], [0, 0, 10, 10]]))
    assert iou == pytest.approx(np.array([[50 / 150, 0.0, 1.0]]))


def test_ids_follow_two_people_walking_through_each_other() -> None:
    tracker = PersonTracker()
    for step in range(12):
        left = [10.0 + 25 * step, 0.0, 70.0 + 25 * step, 150.0]  # walks right
        right = [300.0 - 25 * step, 5.0, 360.0 - 25 * step, 155.0]  # walks left; they overlap at steps 5-7
        flipped = step % 3 == 1
        ids = tracker.update(np.array([right, left] if flipped else [left, right]), step / 30)
        assert ids.tolist() == ([2, 1] if flipped else [1, 2])


def test_a_track_survives_missed_frames_then_ends_and_its_id_is_never_reused() -> None:
    tracker = PersonTracker(max_missed=2)
    box = np.array([[0.0, 0.0, 50.0, 100.0]])
    assert tracker.update(box, 0.0).tolist() == [1]
    assert tracker.update(np.zeros((0, 4)), 0.1).tolist() == []
    assert tracker.update(np.zeros((0, 4)), 0.2).tolist() == []
    assert tracker.update(box, 0.3).tolist() == [1]  # two misses: still alive
    for time in (0.4, 0.5, 0.6):
        tracker.update(np.zeros((0, 4)), time)
    assert tracker.ended == [1]
    assert tracker.update(box, 0.7).tolist() == [2]


def test_keypoints_tell_apart_people_whose_boxes_coincide() -> None:
    box = [0.0, 0.0, 100.0, 200.0]
    front, back = np.array([[10.0, 10], [50, 60], [90, 190]]), np.array([[90.0, 10], [50, 150], [10, 100]])
    scores = np.ones((2, 3))
    tracker = PersonTracker()
    tracker.update(np.array([box, box]), 0.0, np.stack([front, back]), scores)
    assert tracker.update(np.array([box, box]), 0.1, np.stack([back, front]), scores).tolist() == [2, 1]


def test_keypoint_similarity_by_hand_and_undefined_with_too_few_confident_points() -> None:
    points = np.zeros((3, 2))
    moved = points + [3.0, 4.0]  # d^2 = 25 on a 100 x 100 box: exp(-25 / (2 * 0.01 * 10000)) = exp(-0.125)
    box = np.array([0.0, 0.0, 100.0, 100.0])
    assert keypoint_similarity(points, np.ones(3), moved, np.ones(3), box) == pytest.approx(np.exp(-0.125))
    assert keypoint_similarity(points, [1, 1, 0.1], moved, np.ones(3), box) is None


def test_boxes_from_confident_keypoints_grow_by_the_margin() -> None:
    keypoints = np.array([[[10.0, 20.0], [30.0, 60.0], [20.0, 40.0], [500.0, 500.0]]])
    boxes = boxes_from_keypoints(keypoints, np.array([[0.9, 0.5, 0.7, 0.1]]))
    assert boxes == pytest.approx(np.array([[8.0, 16.0, 32.0, 64.0, 0.7]]))  # 10% of 20 x 40 on each side
    assert len(boxes_from_keypoints(keypoints, np.array([[0.9, 0.1, 0.1, 0.1]]))) == 0


def test_ids_hold_on_vtest_where_two_people_pass_each_other() -> None:
    """vtest.avi frames 446-470, checked by eye: a woman in red walking left passes in front of a man in
    black (their boxes overlap, then HOG sees one box for both at frame 464), while a third man walks
    on the left. Boxes from OpenCV's HOG every second frame; each person must keep one ID."""
    detector, tracker = HogPersonDetector(), PersonTracker()
    seen: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    with VideoSource(IMAGES / "vtest.avi", max_frames=236, every=2) as source:
        for frame in source:
            if frame.index >= 446:
                boxes = filter_boxes(detector(frame.image))
                seen[frame.index] = (boxes, tracker.update(boxes, frame.timestamp))

    def id_at(frame: int, x: float, y: float) -> int:
        boxes, ids = seen[frame]
        centres = (boxes[:, :2] + boxes[:, 2:4]) / 2
        return int(ids[np.argmin(np.linalg.norm(centres - [x, y], axis=1))])

    woman, man, left_man = id_at(446, 600, 296), id_at(446, 502, 209), id_at(446, 312, 243)
    assert len({woman, man, left_man}) == 3
    assert (id_at(470, 472, 253), id_at(470, 555, 268), id_at(470, 423, 266)) == (woman, man, left_man)
