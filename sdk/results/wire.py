"""Results over HTTP: the server encodes a Result, the remote client decodes the same Result type.

A result without dense arrays (pose, or a dense task asked for none) travels as its ``to_dict()``
JSON. A result with arrays travels as one ``.npz`` holding the JSON (``result.json``, UTF-8 bytes)
and each array: label maps as uint8, float maps as float16 by default (half the bytes; ask for
float32 for the exact values).
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np

from ..processing.keypoint_sets import keypoint_set_from_record
from .base import ResultIO
from .dense import AlbedoResult, NormalResult, PointmapResult
from .pose import PoseResult
from .segmentation import SegResult

JSON_MEDIA_TYPE = "application/json"
NPZ_MEDIA_TYPE = "application/x-npz"
JSON_MEMBER = "result.json"
DENSE_DTYPES = ("float16", "float32")


def encode_result(
    result: ResultIO, outputs: list[str] | None = None, dense_dtype: str = "float16"
) -> tuple[bytes, str]:
    """(body, media type) for ``result``; ``outputs`` names the arrays to send (None: all of them)."""
    if dense_dtype not in DENSE_DTYPES:
        raise ValueError(f"dense_dtype must be one of {DENSE_DTYPES}, got {dense_dtype!r}")
    document = json.dumps(result.to_dict(), allow_nan=False).encode()
    arrays = {name: array for name, array in result.arrays().items() if outputs is None or name in outputs}
    if not arrays:
        return document, JSON_MEDIA_TYPE
    members = {name: _compact(array, dense_dtype) for name, array in arrays.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **{JSON_MEMBER: np.frombuffer(document, dtype=np.uint8)}, **members)
    return buffer.getvalue(), NPZ_MEDIA_TYPE


def _compact(array: np.ndarray, dense_dtype: str) -> np.ndarray:
    return array.astype(dense_dtype) if np.issubdtype(array.dtype, np.floating) else array


def decode_result(body: bytes, media_type: str) -> ResultIO:
    """The Result that ``encode_result`` encoded into ``body``."""
    if media_type.split(";")[0].strip() == NPZ_MEDIA_TYPE:
        with np.load(io.BytesIO(body), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        document = json.loads(arrays.pop(JSON_MEMBER).tobytes())
    else:
        document, arrays = json.loads(body), {}
    return _BUILDERS[document["task"]](document, arrays)


def _pose(document: dict[str, Any], arrays: dict[str, np.ndarray]) -> PoseResult:
    instances = document["instances"]
    keypoint_count = int(document["num_keypoints"])
    return PoseResult(
        boxes=np.array([item["bbox"] for item in instances], dtype=np.float32).reshape(-1, 4),
        box_scores=np.array([item["bbox_score"] for item in instances], dtype=np.float32),
        keypoints=np.array([item["keypoints"] for item in instances], dtype=np.float32).reshape(-1, keypoint_count, 2),
        keypoint_scores=np.array([item["keypoint_scores"] for item in instances], dtype=np.float32).reshape(
            -1, keypoint_count
        ),
        image_size=tuple(document["image_size"]),
        keypoint_set=keypoint_set_from_record({"names": document["keypoint_names"], "skeleton_links": document.get("skeleton_links", [])}),
        meta=document["meta"],
    )


def _required(arrays: dict[str, np.ndarray], name: str, task: str) -> np.ndarray:
    if name not in arrays:
        raise ValueError(f"the {task} result carries no {name!r} array: ask the server for outputs including {name!r}")
    return arrays[name]


def _seg(document: dict[str, Any], arrays: dict[str, np.ndarray]) -> SegResult:
    labels = _required(arrays, "seg", "seg")
    return SegResult(labels=labels, class_names=tuple(document["class_names"]), meta=document["meta"])


def _normal(document: dict[str, Any], arrays: dict[str, np.ndarray]) -> NormalResult:
    return NormalResult(normals=_required(arrays, "normal", "normal"), meta=document["meta"])


def _pointmap(document: dict[str, Any], arrays: dict[str, np.ndarray]) -> PointmapResult:
    return PointmapResult(
        points=_required(arrays, "pointmap", "pointmap"),
        depth=_required(arrays, "depth", "pointmap"),
        scale=document["scale"],
        focal_length=document["focal_length_px"],
        meta=document["meta"],
    )


def _albedo(document: dict[str, Any], arrays: dict[str, np.ndarray]) -> AlbedoResult:
    return AlbedoResult(albedo=_required(arrays, "albedo", "albedo"), meta=document["meta"])


_BUILDERS = {"pose": _pose, "seg": _seg, "normal": _normal, "pointmap": _pointmap, "albedo": _albedo}

# The arrays each task's result can send (``outputs``); pose sends none: its JSON holds everything.
ARRAY_NAMES = {"pose": (), "seg": ("seg",), "normal": ("normal",), "pointmap": ("pointmap", "depth"), "albedo": ("albedo",)}
