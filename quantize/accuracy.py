"""The accuracy gate: a quantized artifact against its fp32 reference on held-out images.

Metrics (all against the fp32 model's own predictions, since the images carry no labels):

* backbone-feature cosine: the feature map the decode head reads, per model input;
* pose: keypoint error in image pixels (after the full UDP + DARK decoding) and PCK@0.05, the share
  of keypoints within 5 % of the person box's longer side of the fp32 keypoint;
* seg: pixel agreement and mIoU of the labels at image resolution (classes present in either map);
* every raw output: cosine (informational).

The gate compares the worst feature cosine and the pooled task metrics with the precision's
thresholds (``CompileOptions.accuracy_thresholds``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sapiens2.agreement import label_agreement, tensor_agreement
from sapiens2.pipelines import Pipeline

from .calibration import HeldOutImage

Runner = Callable[[np.ndarray], dict[str, np.ndarray]]
PCK_THRESHOLD = 0.05
GATED = {"feature_cosine": "feature_cosine_min", "pck": "pck_0.05", "pixel_agreement": "pixel_agreement", "miou": "miou"}


def keypoint_errors(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Distances (pixels) between matching (..., 2) keypoints."""
    return np.linalg.norm(np.asarray(candidate, np.float64) - np.asarray(reference, np.float64), axis=-1)


def pck(errors: np.ndarray, boxes: np.ndarray, threshold: float = PCK_THRESHOLD) -> float:
    """Share of keypoints (N, K errors) within ``threshold`` x the longer side of their person box (N, >=4)."""
    boxes = np.asarray(boxes, np.float64)
    size = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    return float(np.mean(errors <= threshold * size[:, None]))


def class_overlaps(reference: np.ndarray, candidate: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-class intersection and union pixel counts of two label maps."""
    ref, cand = np.asarray(reference).ravel(), np.asarray(candidate).ravel()
    intersection = np.bincount(ref[ref == cand], minlength=num_classes)[:num_classes]
    union = np.bincount(ref, minlength=num_classes)[:num_classes] + np.bincount(cand, minlength=num_classes)[:num_classes] - intersection
    return intersection, union


def mean_iou(intersection: np.ndarray, union: np.ndarray) -> float:
    """Mean IoU over the classes present in either map."""
    present = union > 0
    return float(np.mean(intersection[present] / union[present])) if present.any() else 1.0


def _run(runner: Runner, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """One input at a time (artifacts may have a fixed batch of 1), stacked."""
    runs = [runner(inputs[i : i + 1]) for i in range(len(inputs))]
    return {name: np.concatenate([run[name] for run in runs]) for name in runs[0]}


def evaluate(
    task: str,
    pipeline: Pipeline,
    held_out: Sequence[HeldOutImage],
    to_input: Callable[[np.ndarray], np.ndarray],
    reference: Runner,
    candidate: Runner,
) -> dict[str, Any]:
    """Per-image metrics and their summary for every held-out image."""
    per_image, errors, boxes, labels = [], [], [], []
    for image in held_out:
        inputs = to_input(image.prepared.inputs)
        ref, cand = _run(reference, inputs), _run(candidate, inputs)
        features = [tensor_agreement(r, c)["cosine"] for r, c in zip(ref.pop("features"), cand.pop("features"))]
        record: dict[str, Any] = {
            "name": image.name,
            "model_inputs": len(inputs),
            "feature_cosine": min(features),
            "output_cosine": {name: tensor_agreement(ref[name], cand[name])["cosine"] for name in ref if ref[name].dtype.kind == "f"},
        }
        if task == "pose":
            ref_result, cand_result = pipeline.finish(ref, image.prepared), pipeline.finish(cand, image.prepared)
            image_errors = keypoint_errors(ref_result.keypoints, cand_result.keypoints)
            errors.append(image_errors)
            boxes.append(ref_result.boxes)
            record |= {"keypoint_error_px_mean": float(image_errors.mean()), "pck_0.05": pck(image_errors, ref_result.boxes)}
        elif task == "seg":
            ref_labels, cand_labels = pipeline.finish(ref, image.prepared).labels, pipeline.finish(cand, image.prepared).labels
            labels.append((ref_labels, cand_labels))
            record["pixel_agreement"] = label_agreement(ref_labels, cand_labels)
        per_image.append(record)
    return {"images": per_image, "summary": _summary(per_image, errors, boxes, labels)}


def _summary(
    per_image: Sequence[Mapping[str, Any]], errors: list[np.ndarray], boxes: list[np.ndarray], labels: list[tuple[np.ndarray, np.ndarray]]
) -> dict[str, float]:
    features = [record["feature_cosine"] for record in per_image]
    summary = {"feature_cosine_min": min(features), "feature_cosine_mean": float(np.mean(features))}
    if errors:
        pooled = np.concatenate(errors)
        summary |= {
            "keypoint_error_px_mean": float(pooled.mean()),
            "keypoint_error_px_median": float(np.median(pooled)),
            "pck_0.05": pck(pooled, np.concatenate(boxes)),
        }
    if labels:
        num_classes = int(max(max(r.max(), c.max()) for r, c in labels)) + 1
        overlaps = [class_overlaps(r, c, num_classes) for r, c in labels]
        summary |= {
            "pixel_agreement": float(np.mean(np.concatenate([(r == c).ravel() for r, c in labels]))),
            "miou": mean_iou(sum(o[0] for o in overlaps), sum(o[1] for o in overlaps)),
        }
    return summary


def gate(summary: Mapping[str, float], thresholds: Mapping[str, float]) -> dict[str, Any]:
    """The verdict: every threshold whose metric was measured for this task must be met."""
    failures = [
        f"{GATED[name]} {summary[GATED[name]]:.5f} < {minimum}"
        for name, minimum in thresholds.items()
        if GATED[name] in summary and summary[GATED[name]] < minimum
    ]
    applied = {name: minimum for name, minimum in thresholds.items() if GATED[name] in summary}
    return {"thresholds": applied, "passed": not failures, "failures": failures}
