"""Validation metrics per task: PCK for pose, mIoU for segmentation, mean angular error for normals."""

from __future__ import annotations

import numpy as np
import torch

from sapiens2.processing.heatmaps import decode_udp_heatmaps


def decode_to_crop(heatmaps: np.ndarray, input_size: tuple[int, int]) -> np.ndarray:
    """Heatmaps (K, h, w) -> keypoints (K, 2) in crop pixels with the SDK's DARK-UDP decoder.

    The decoder reports points in the codec frame (heatmap * input / (heatmap - 1)); the crop frame
    of the targets uses (input - 1) / (heatmap - 1), hence the rescale.
    """
    decoded, _ = decode_udp_heatmaps(heatmaps, input_size)
    size = np.asarray(input_size, dtype=np.float32)
    return decoded * (size - 1) / size


def pck(pred: np.ndarray, target: np.ndarray, visible: np.ndarray, norm: np.ndarray, threshold: float = 0.1) -> tuple[int, int]:
    """(hits, count): visible keypoints whose error, divided per axis by ``norm`` (w, h), is below ``threshold``."""
    distance = np.linalg.norm((pred - target) / norm, axis=-1)
    return int((distance[visible] < threshold).sum()), int(visible.sum())


def confusion(pred: torch.Tensor, labels: torch.Tensor, num_classes: int, ignore_index: int = 255) -> torch.Tensor:
    """Confusion matrix (true, predicted) over the non-ignored pixels."""
    valid = labels != ignore_index
    index = labels[valid].long() * num_classes + pred[valid].long()
    return torch.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


def mean_iou(matrix: torch.Tensor) -> float:
    """Mean IoU over the classes that occur in the labels or the predictions."""
    matrix = matrix.double()
    intersection = matrix.diag()
    union = matrix.sum(0) + matrix.sum(1) - intersection
    seen = union > 0
    return float((intersection[seen] / union[seen]).mean()) if seen.any() else 0.0


def angular_error_sum(pred: torch.Tensor, gt: torch.Tensor, mask: torch.Tensor) -> tuple[float, int]:
    """(sum of angles in degrees, pixel count) between predicted and true normals inside ``mask``."""
    cos = torch.nn.functional.cosine_similarity(pred.float(), gt.float(), dim=1, eps=1e-6).clamp(-1, 1)
    angles = torch.rad2deg(torch.acos(cos))[mask[:, 0] > 0]
    return float(angles.sum()), int(angles.numel())
