"""How close an artifact's outputs are to the PyTorch reference, and the gate that rejects bad ones.

Float outputs: max abs error, relative L2 error and cosine over the whole tensor (float64).
Label outputs: share of equal pixels. Peak outputs: distance in heatmap pixels. Task agreement:
pose keypoint distance between argmax peaks, seg pixel agreement of the argmax labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sapiens2.agreement import label_agreement, tensor_agreement
from sapiens2.processing import heatmap_maxima

Outputs = Mapping[str, np.ndarray]
LABEL_OUTPUTS = ("labels",)
PEAK_OUTPUTS = ("keypoints",)


def peak_distance(reference: np.ndarray, candidate: np.ndarray) -> dict[str, float]:
    """Distances (pixels) between matching (..., 2) peak coordinates: mean, max and share identical."""
    distance = np.linalg.norm(np.asarray(candidate, np.float64) - np.asarray(reference, np.float64), axis=-1)
    return {
        "keypoint_distance_px_mean": float(distance.mean()),
        "keypoint_distance_px_max": float(distance.max()),
        "keypoints_identical": float(np.mean(distance == 0)),
    }


def output_agreement(name: str, reference: np.ndarray, candidate: np.ndarray) -> dict[str, float]:
    """The metric family that fits output ``name``."""
    if reference.shape != candidate.shape:
        raise ValueError(f"output {name!r} has shape {candidate.shape}, the reference {reference.shape}")
    if name in LABEL_OUTPUTS:
        return {"label_agreement": label_agreement(reference, candidate)}
    if name in PEAK_OUTPUTS:
        return peak_distance(reference, candidate)
    return tensor_agreement(reference, candidate)


def _peaks(outputs: Outputs) -> np.ndarray:
    if "keypoints" in outputs:
        return outputs["keypoints"]
    return np.stack([heatmap_maxima(np.asarray(maps, np.float32))[0] for maps in outputs["heatmaps"]])


def _labels(outputs: Outputs) -> np.ndarray:
    return outputs["labels"] if "labels" in outputs else np.argmax(outputs["logits"], axis=1)


def task_agreement(task: str, reference: Outputs, candidate: Outputs) -> dict[str, float]:
    """Pose: argmax-peak distance (heatmap pixels); seg: pixel agreement; other tasks: nothing extra."""
    if task == "pose":
        return peak_distance(_peaks(reference), _peaks(candidate))
    if task == "seg":
        return {"pixel_agreement": label_agreement(_labels(reference), _labels(candidate))}
    return {}


def compare(task: str, reference: Outputs, candidate: Outputs) -> dict[str, dict[str, float]]:
    """Per-output metrics plus ``task`` agreement for one sample."""
    result = {name: output_agreement(name, reference[name], candidate[name]) for name in reference}
    result["task"] = task_agreement(task, reference, candidate)
    return result


def summarize(per_sample: Sequence[Mapping[str, Mapping[str, float]]]) -> dict[str, float]:
    """Worst case over samples and outputs: min cosine/agreements, max errors and distances."""
    worst: dict[str, float] = {}
    for sample in per_sample:
        for metrics in sample.values():
            for key, value in metrics.items():
                lower_is_worse = key in ("cosine", "label_agreement", "pixel_agreement", "keypoints_identical")
                pick = min if lower_is_worse else max
                worst[key] = pick(worst.get(key, value), value)
    return worst


def gate_failures(summary: Mapping[str, float], min_cosine: float, min_label_agreement: float) -> list[str]:
    """Human-readable reasons the summary fails the gate (empty when it passes)."""
    failures = []
    if "cosine" in summary and summary["cosine"] < min_cosine:
        failures.append(f"cosine {summary['cosine']:.7f} < {min_cosine} (max abs error {summary['max_abs']:.3g})")
    if "label_agreement" in summary and summary["label_agreement"] < min_label_agreement:
        failures.append(f"label agreement {summary['label_agreement']:.5f} < {min_label_agreement}")
    return failures
