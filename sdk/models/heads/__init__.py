"""Task heads with the official module layout (keys ``decode_head.*``)."""

from .dense import AlbedoHead, NormalHead, PointmapHead
from .pose import PoseHeatmapHead
from .seg import SegHead

HEAD_CLASSES = {
    "pose": PoseHeatmapHead,
    "seg": SegHead,
    "normal": NormalHead,
    "pointmap": PointmapHead,
    "albedo": AlbedoHead,
}

__all__ = ["HEAD_CLASSES", "AlbedoHead", "NormalHead", "PointmapHead", "PoseHeatmapHead", "SegHead"]
