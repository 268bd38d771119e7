"""Person boxes for top-down pose: from the user, from a detector, or the whole image.

A detector is any callable ``detector(image_bgr) -> ndarray (N, 5)`` of (x1, y1, x2, y2, score)
in image pixels (the ``PersonDetector`` protocol). The built-in ``HogPersonDetector`` needs no
downloaded weights but is weak (upright, fully visible people of at least 64x128 pixels). For real
use plug in a proper detector, e.g. RTMDet (the official demo's) or a YOLO model::

    from ultralytics import YOLO
    yolo = YOLO("yolo11n.pt")

    def yolo_people(image_bgr):
        result = yolo(image_bgr, classes=[0], verbose=False)[0].boxes
        return np.concatenate([result.xyxy.cpu().numpy(), result.conf.cpu().numpy()[:, None]], axis=1)

and pass ``yolo_people`` wherever a ``PersonDetector`` is accepted. RTMDet through mmdet works the
same way: run ``inference_detector``, keep label 0 and stack ``bboxes`` with ``scores``. ``person_boxes`` applies the
official demo's score threshold (0.3) and greedy NMS (IoU 0.3) to whatever the detector returns.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import cv2
import numpy as np

from .validate import validate_boxes

SCORE_THRESHOLD = 0.3
NMS_IOU_THRESHOLD = 0.3


@runtime_checkable
class PersonDetector(Protocol):
    """Anything that finds people: ``detector(image_bgr) -> (N, 5)`` float array of x1, y1, x2, y2, score."""

    def __call__(self, image_bgr: np.ndarray) -> np.ndarray: ...


def nms(boxes: np.ndarray, iou_threshold: float = NMS_IOU_THRESHOLD) -> np.ndarray:
    """Greedy non-maximum suppression over (N, 5) boxes; returns kept indices, best score first.

    Areas use the inclusive-pixel convention (w = x2 - x1 + 1) like the official demo's NMS; a box
    is dropped when its IoU with an already kept box exceeds ``iou_threshold``.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    x1, y1, x2, y2, scores = boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3], boxes[:, 4]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(-scores, kind="stable")
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        inter_w = np.maximum(0.0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        inter_h = np.maximum(0.0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        inter = inter_w * inter_h
        iou = inter / (areas[best] + areas[rest] - inter)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def filter_boxes(
    boxes: np.ndarray, score_threshold: float = SCORE_THRESHOLD, iou_threshold: float = NMS_IOU_THRESHOLD
) -> np.ndarray:
    """Keep (N, 5) boxes scoring above ``score_threshold``, then NMS; result sorted by score, float32."""
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 5)
    boxes = boxes[boxes[:, 4] > score_threshold]
    return boxes[nms(boxes, iou_threshold)]


def whole_image_box(image_shape: tuple[int, ...]) -> np.ndarray:
    """The official fallback box, [0, 0, W - 1, H - 1] with score 1, as a (1, 5) float32 array."""
    height, width = image_shape[:2]
    return np.array([[0.0, 0.0, width - 1.0, height - 1.0, 1.0]], dtype=np.float32)


def person_boxes(
    image_bgr: np.ndarray,
    boxes: np.ndarray | None = None,
    detector: PersonDetector | None = None,
    score_threshold: float = SCORE_THRESHOLD,
    iou_threshold: float = NMS_IOU_THRESHOLD,
) -> np.ndarray:
    """Resolve the (N, 5) person boxes for one image: given ``boxes`` (score 1 if absent) win, then the
    ``detector`` (thresholded and NMS-ed), and when neither yields a box, the whole image.

    Given boxes are checked (``validate_boxes``: finite, not inverted, scores >= 0, overlapping the
    image). An explicitly empty box list means "no people here": it gives no box, not the whole image.
    """
    if boxes is not None:
        boxes = validate_boxes(boxes, image_bgr.shape)
        if boxes.shape[1] == 4:
            boxes = np.concatenate([boxes, np.ones((len(boxes), 1), np.float32)], axis=1)
        return boxes
    if detector is not None:
        boxes = filter_boxes(detector(image_bgr), score_threshold, iou_threshold)
    if boxes is None or len(boxes) == 0:
        return whole_image_box(image_bgr.shape)
    return boxes[:, :5]


class HogPersonDetector:
    """OpenCV's HOG + linear SVM pedestrian detector: no weights to download, modest accuracy.

    Scores are the SVM margins (roughly 0 to 3, not probabilities). Needs ``cv2.HOGDescriptor``,
    which OpenCV 4.x ships in its main package and OpenCV 5 only in opencv-contrib-python(-headless).
    """

    def __init__(self, win_stride: int = 8, scale: float = 1.05) -> None:
        if not hasattr(cv2, "HOGDescriptor"):
            raise RuntimeError(
                f"OpenCV {cv2.__version__} has no HOGDescriptor (OpenCV 5 moved it to the contrib build): "
                "install opencv-python-headless<5 or opencv-contrib-python-headless, or pass your own PersonDetector"
            )
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self._win_stride = (win_stride, win_stride)
        self._scale = scale

    def __call__(self, image_bgr: np.ndarray) -> np.ndarray:
        """Detect people; returns (N, 5) float32 x1, y1, x2, y2, score (unfiltered: ``person_boxes`` filters)."""
        rects, weights = self._hog.detectMultiScale(
            image_bgr, winStride=self._win_stride, padding=(8, 8), scale=self._scale
        )
        if len(rects) == 0:
            return np.zeros((0, 5), dtype=np.float32)
        rects = np.asarray(rects, dtype=np.float32).reshape(-1, 4)
        height, width = image_bgr.shape[:2]
        xyxy = np.concatenate([rects[:, :2], rects[:, :2] + rects[:, 2:] - 1], axis=1)
        xyxy = np.clip(xyxy, 0, [width - 1, height - 1, width - 1, height - 1])
        return np.concatenate([xyxy, np.asarray(weights, dtype=np.float32).reshape(-1, 1)], axis=1)
