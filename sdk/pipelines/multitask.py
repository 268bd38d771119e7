"""Pose + segmentation from one pass: top-down person crops in, keypoints and a full-image label map out.

The model sees each person crop once; its heatmaps decode as in ``PosePipeline`` and its class
scores are warped back from every crop into the image, where the highest score of any crop wins;
pixels outside every crop are background (class 0).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from ..processing import PersonDetector
from ..processing.topdown import TopdownCrop
from ..results import SegResult
from ..results.multitask import MultiTaskResult
from .base import ModelIO, Prepared
from .pose import PosePipeline


class MultiTaskPipeline:
    """``PosePipeline``'s crops and keypoints, plus the crops' segmentation pasted into the image."""

    def __init__(
        self,
        io: ModelIO,
        detector: PersonDetector | None = None,
        class_names: tuple[str, ...] | None = None,
    ) -> None:
        self.io = io
        self.pose = PosePipeline(io, detector=detector)  # its keypoint set is io.keypoint_set
        self.class_names = tuple(class_names) if class_names else None

    def prepare(self, image_bgr: np.ndarray, boxes: np.ndarray | None = None, **_: Any) -> Prepared:
        return self.pose.prepare(image_bgr, boxes)

    def finish(self, outputs: dict[str, np.ndarray], prepared: Prepared) -> MultiTaskResult:
        pose = self.pose.finish(outputs, prepared)
        labels = paste_crop_labels(outputs["logits"], prepared.context["crops"], prepared.context["image_size"])
        seg = SegResult(labels=labels, class_names=self.class_names) if self.class_names else SegResult(labels=labels)
        return MultiTaskResult(pose=pose, seg=seg)


def paste_crop_labels(logits: np.ndarray, crops: list[TopdownCrop], image_size: tuple[int, int]) -> np.ndarray:
    """Class logits of N crops (N, C, h, w) -> int32 labels (H, W) of the image.

    Each crop's softmax is resized to the crop and warped back into the image (bilinear, zero
    outside the crop); per pixel the class with the highest probability in any crop wins. One class
    at a time with a running maximum, so memory stays at a few image-sized maps.
    """
    height, width = image_size
    labels = np.zeros((height, width), dtype=np.int32)
    if not crops:
        return labels
    logits = np.asarray(logits[: len(crops)], dtype=np.float32)
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    best = np.zeros((height, width), dtype=np.float32)
    for class_index in range(probabilities.shape[1]):
        score = np.zeros((height, width), dtype=np.float32)
        for crop, maps in zip(crops, probabilities):
            crop_map = cv2.resize(maps[class_index], tuple(crop.input_size), interpolation=cv2.INTER_LINEAR)
            warped = cv2.warpAffine(
                crop_map, crop.matrix, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=0
            )
            np.maximum(score, warped, out=score)
        better = score > best
        labels[better] = class_index
        np.maximum(best, score, out=best)
    return labels
