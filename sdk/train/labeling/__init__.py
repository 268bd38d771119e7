"""Pseudo-labels from a teacher that ships its weights (MediaPipe), written as COCO keypoint datasets."""

from .mediapipe_teacher import label_with_mediapipe

__all__ = ["label_with_mediapipe"]
