"""One result type per task, whatever runtime produced it: plain numpy dataclasses that export to
JSON (``to_dict``/``to_json``), draw themselves (``draw``) and save atomically (``save``)."""

from .base import ResultIO, array_summary
from .dense import AlbedoResult, NormalResult, PointmapResult
from .pose import PoseResult
from .segmentation import SegResult
from .storage import atomic_write, write_npy, write_png, write_text

__all__ = [
    "AlbedoResult",
    "NormalResult",
    "PointmapResult",
    "PoseResult",
    "ResultIO",
    "SegResult",
    "array_summary",
    "atomic_write",
    "write_npy",
    "write_png",
    "write_text",
]
