"""``inspect_checkpoint``: what a checkpoint holds, read from its header when it is safetensors."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from .infer import CheckpointLayout
from .loading import layout_of
from .readers import locate_checkpoint, read_tensors


@dataclass(frozen=True)
class CheckpointInfo:
    """Where a checkpoint is, its format and size, and the model it holds (``layout``)."""

    source: str
    format: str
    files: tuple[str, ...]
    file_size: int
    layout: CheckpointLayout

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the file facts and the layout's fields side by side."""
        return {
            "source": self.source,
            "format": self.format,
            "files": list(self.files),
            "file_size": self.file_size,
            **self.layout.to_dict(),
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
    )
