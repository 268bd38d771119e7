"""Names of a task model's inputs and outputs, shared by the predictor, export wrappers and bundles."""

from __future__ import annotations

INPUT_NAME = "image"
RAW_OUTPUTS: dict[str, tuple[str, ...]] = {
    "pose": ("heatmaps",),
    "seg": ("logits",),
    "normal": ("normal",),
    "albedo": ("albedo",),
    "pointmap": ("pointmap", "scale"),
    "multitask": ("heatmaps", "logits"),
}
DECODED_OUTPUTS: dict[str, tuple[str, ...]] = {"pose": ("keypoints", "scores"), "seg": ("labels",)}
OUTPUT_MEANINGS = {
    "heatmaps": "308 keypoint heatmaps at 1/4 input resolution (raw, no activation); decode with UDP + DARK",
    "logits": "29 body-part class logits at input resolution; argmax over channels gives labels",
    "normal": "surface normal (x, y, z) per pixel, unnormalised: divide by the norm",
    "albedo": "albedo RGB per pixel, expected in [0, 1] (clamp for display)",
    "pointmap": "canonical-camera 3-D points (X, Y, Z) per pixel; divide by scale for metric units",
    "scale": "pointmap scale s = canonical focal (768) / focal length in input pixels",
    "labels": "body-part class id per pixel (argmax of the logits at input resolution)",
    "keypoints": "integer argmax peak (x, y) per keypoint in heatmap pixels; (-1, -1) where the max is <= 0",
    "scores": "raw heatmap maximum per keypoint (no sigmoid)",
}


def name_outputs(task: str, outputs: object) -> dict[str, object]:
    """Pair a task model's forward output (a tensor or a tuple) with the task's raw output names."""
    values = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    return dict(zip(RAW_OUTPUTS[task], values))
