"""Top-down pose: person boxes -> UDP crops -> heatmaps -> DARK-UDP keypoints in image pixels."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..processing import (
    PersonDetector,
    crop_people,
    decode_pose,
    flip_image,
    average_flip_heatmaps,
    keypoint_metadata,
    person_boxes,
)
from ..errors import UserError
from ..results import PoseResult
from .base import ModelIO, Prepared


class PosePipeline:
    """Boxes come from the caller, else the detector, else the whole image (the official fallback).

    ``flip`` runs each crop mirrored as well and averages the un-mirrored heatmaps (official test
    time augmentation). Artifacts that decode in-graph (peaks only, no heatmaps) give integer-peak
    keypoints without the sub-pixel refinement.
    """

    def __init__(
        self,
        io: ModelIO,
        flip: bool = False,
        detector: PersonDetector | None = None,
        keypoint_names: tuple[str, ...] | None = None,
    ) -> None:
        if flip and "heatmaps" not in io.output_names:
            raise UserError(
                "the flip test (--flip) needs heatmaps, but this bundle outputs only decoded peaks: "
                "compile it with --decode beside (or without --decode) to flip-test it"
            )
        self.io = io
        self.flip = flip
        self.detector = detector
        # None: the official 308 set; a model trained on a dataset's own keypoints names them (its .json).
        self.keypoint_names = tuple(keypoint_names) if keypoint_names else keypoint_metadata().names

    def prepare(self, image_bgr: np.ndarray, boxes: np.ndarray | None = None, **_: Any) -> Prepared:
        people = person_boxes(image_bgr, boxes, self.detector)
        crops, geometry = crop_people(image_bgr, people, self.io.input_size_wh)
        inputs = np.concatenate([crops, flip_image(crops)]) if self.flip else crops
        return Prepared(inputs, {"boxes": people, "crops": geometry, "image_size": image_bgr.shape[:2]})

    def _keypoints(self, outputs: dict[str, np.ndarray], crops: list) -> tuple[np.ndarray, np.ndarray]:
        count = len(crops)
        if count == 0:  # an explicitly empty box list: no people, no model run
            num_keypoints = len(self.keypoint_names)
            return np.zeros((0, num_keypoints, 2), np.float32), np.zeros((0, num_keypoints), np.float32)
        if "heatmaps" in outputs:
            heatmaps = outputs["heatmaps"].astype(np.float32)
            if self.flip:
                heatmaps = average_flip_heatmaps(heatmaps[:count], heatmaps[count:], keypoint_metadata().flip_indices)
            return decode_pose(heatmaps, crops)
        height, width = self.io.input_size
        heatmap_wh = np.array([width // 4 - 1, height // 4 - 1], dtype=np.float64)
        peaks = outputs["keypoints"][:count].astype(np.float64) / heatmap_wh * np.array(self.io.input_size_wh)
        keypoints = np.stack([crop.keypoints_to_image(p) for crop, p in zip(crops, peaks)])
        return keypoints, outputs["scores"][:count].astype(np.float32)

    def finish(self, outputs: dict[str, np.ndarray], prepared: Prepared) -> PoseResult:
        context = prepared.context
        keypoints, scores = self._keypoints(outputs, context["crops"])
        return PoseResult(
            boxes=context["boxes"][:, :4],
            box_scores=context["boxes"][:, 4],
            keypoints=keypoints,
            keypoint_scores=scores,
            image_size=context["image_size"],
            keypoint_names=self.keypoint_names,
        )
