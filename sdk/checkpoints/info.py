"""``inspect_checkpoint``: what a checkpoint holds, read from its header when it is safetensors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ..models.multitask_model import MULTITASK
from ..processing.keypoint_sets import checkpoint_keypoint_set, is_official
from ..processing.metadata import KeypointMetadata
from .infer import CheckpointLayout
from .loading import layout_of
from .readers import locate_checkpoint, read_tensors


@dataclass(frozen=True)
class CheckpointInfo:
    """Where a checkpoint is, its format and size, the model it holds (``layout``) and, for pose, its keypoint set."""

    source: str
    format: str
    files: tuple[str, ...]
    file_size: int
    layout: CheckpointLayout
    keypoints: KeypointMetadata | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the file facts and the layout's fields side by side."""
        return {
            "source": self.source,
            "format": self.format,
            "files": list(self.files),
            "file_size": self.file_size,
            **self.layout.to_dict(),
            "keypoints": None if self.keypoints is None else keypoint_summary(self.keypoints),
        }


def keypoint_summary(keypoints: KeypointMetadata) -> dict[str, Any]:
    """How many keypoints, whether they are the official 308, and their names, skeleton and flips."""
    return {
        "count": len(keypoints.names),
        "official": is_official(keypoints),
        "names": list(keypoints.names),
        "skeleton_links": keypoints.skeleton_links.tolist(),
        "flip_indices": list(keypoints.flip_indices),
    }


def inspect_checkpoint(source: str | os.PathLike[str]) -> CheckpointInfo:
    """Describe a checkpoint without building a model (tensor data is not read for safetensors)."""
    files = locate_checkpoint(source)
    layout = layout_of(files.source, read_tensors(files, meta=True))
    return CheckpointInfo(
        source=files.source,
        format=files.format,
        files=tuple(str(path) for path in files.paths),
        file_size=files.size_bytes,
        layout=layout,
        keypoints=checkpoint_keypoint_set(source) if layout.task in ("pose", MULTITASK) else None,
    )
