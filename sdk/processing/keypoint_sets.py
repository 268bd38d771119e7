"""The keypoint set of a model: the official 308, or the set a checkpoint of another dataset names.

``sapiens2 train`` writes ``model.json`` beside ``model.safetensors`` with the dataset's keypoint
names, skeleton and flip indices (``{"keypoints": {"names", "skeleton_links", "flip_indices"}}``);
``sapiens2 compile`` copies the set into the bundle manifest's ``labels``. ``sapiens2.load`` puts the
set it finds into ``ModelIO.keypoint_set``, and from there the flip test, the smoothing groups, the
result's names and the overlays follow it. Without a record the set is the official one.

A set that records no colours gets one colour per side, as the common pose viewers draw: left
green, right orange, centre blue (a link's side is the side both its ends share, else centre).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .metadata import KeypointMetadata, keypoint_metadata, read_only

OFFICIAL_SOURCE = "keypoints308.json"
SIDE_COLORS_RGB = {"left": (0, 255, 0), "right": (255, 128, 0), "centre": (51, 153, 255)}
_SIDE_WORDS = {"left": ("left", "l_"), "right": ("right", "r_")}


def is_official(keypoints: KeypointMetadata) -> bool:
    """True for the 308 Sapiens2 keypoints, in the official order."""
    return keypoints is keypoint_metadata() or keypoints.names == keypoint_metadata().names


def sidecar_record(source: object, what: str) -> dict[str, Any] | None:
    """The ``what`` entry (``keypoints``, ``classes``) of the ``.json`` beside a local checkpoint file, if any."""
    try:
        sidecar = Path(str(source)).with_suffix(".json")
        entry = json.loads(sidecar.read_text(encoding="utf-8")).get(what) if sidecar.is_file() else None
    except (OSError, ValueError, AttributeError):
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("names"), list) else None


def checkpoint_keypoint_set(source: object) -> KeypointMetadata:
    """The set named beside the checkpoint ``source`` (``sapiens2 train``'s ``model.json``), else the official one."""
    record = sidecar_record(source, "keypoints")
    return keypoint_metadata() if record is None else keypoint_set_from_record(record)


def keypoint_set_from_record(record: Mapping[str, Any] | None) -> KeypointMetadata:
    """A set from its JSON record (a sidecar's ``keypoints`` or a manifest's ``labels``); None: the official set.

    Missing flip indices mean no left/right swaps; missing colours are given by side.
    """
    if record is None:
        return keypoint_metadata()
    names = tuple(str(name) for name in record["names"])
    if names == keypoint_metadata().names:
        return keypoint_metadata()
    links = np.asarray(record.get("skeleton_links", []), dtype=np.int64).reshape(-1, 2)
    flip = tuple(int(index) for index in record.get("flip_indices", range(len(names))))
    if len(flip) != len(names) or (links.size and (links.min() < 0 or links.max() >= len(names))):
        raise ValueError(f"keypoint record of {len(names)} names has {len(flip)} flip indices or links outside them")
    point_colors = record.get("colors_rgb") or [SIDE_COLORS_RGB[_side(name)] for name in names]
    link_colors = record.get("skeleton_link_colors_rgb") or [_link_color(names, a, b) for a, b in links.tolist()]
    return KeypointMetadata(
        names=names,
        flip_indices=flip,
        keypoint_colors_rgb=read_only(np.asarray(point_colors, dtype=np.uint8).reshape(-1, 3)),
        skeleton_links=read_only(links),
        link_colors_rgb=read_only(np.asarray(link_colors, dtype=np.uint8).reshape(-1, 3)),
    )


def keypoint_set_record(keypoints: KeypointMetadata, source: str) -> dict[str, Any]:
    """The JSON record of a set (a manifest's ``labels``): names, flips, skeleton and colours; ``source`` says where it came from."""
    return {
        "source": OFFICIAL_SOURCE if is_official(keypoints) else source,
        "names": list(keypoints.names),
        "flip_indices": list(keypoints.flip_indices),
        "colors_rgb": keypoints.keypoint_colors_rgb.tolist(),
        "skeleton_links": keypoints.skeleton_links.tolist(),
        "skeleton_link_colors_rgb": keypoints.link_colors_rgb.tolist(),
    }


def _side(name: str) -> str:
    lowered = name.lower()
    return next((side for side, words in _SIDE_WORDS.items() if lowered.startswith(words) or f"_{side}" in lowered), "centre")


def _link_color(names: tuple[str, ...], a: int, b: int) -> tuple[int, int, int]:
    side = _side(names[a])
    return SIDE_COLORS_RGB[side if side == _side(names[b]) else "centre"]

