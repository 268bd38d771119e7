"""Per-task glue between images and a runtime: what to feed it, and how its outputs become a Result.

Every pipeline works on uint8 BGR images at model-input size; the ``ModelFeeder`` turns those into
the runtime's input (normalised float32 NCHW, or uint8 RGB when the artifact normalises in-graph),
so the same pipeline serves PyTorch, ONNX Runtime, OpenVINO, ExecuTorch and the server.
"""

from .base import ModelIO, ModelFeeder, Pipeline, Prepared
from .dense import AlbedoPipeline, NormalPipeline, PointmapPipeline
from .multitask import MultiTaskPipeline
from .pose import PosePipeline
from .seg import SegPipeline

PIPELINES: dict[str, type[Pipeline]] = {
    "pose": PosePipeline,
    "seg": SegPipeline,
    "normal": NormalPipeline,
    "pointmap": PointmapPipeline,
    "albedo": AlbedoPipeline,
    "multitask": MultiTaskPipeline,
}

__all__ = [
    "PIPELINES",
    "AlbedoPipeline",
    "ModelFeeder",
    "ModelIO",
    "MultiTaskPipeline",
    "NormalPipeline",
    "Pipeline",
    "PointmapPipeline",
    "PosePipeline",
    "Prepared",
    "SegPipeline",
]
