"""Pseudo-labels from a teacher (MediaPipe, or any Sapiens2 pose checkpoint or bundle), written as COCO keypoint datasets."""

from .mediapipe_teacher import label_with_mediapipe
from .sapiens2_teacher import label_with_sapiens2

__all__ = ["label_with_mediapipe", "label_with_sapiens2"]
