"""Model-resolution dense outputs -> maps at the original image size (seg, normal, pointmap, albedo).

Every function takes one image's output, channels first as the model emits it (C, h, w), and
returns channels-last arrays (H, W[, C]) at the original image resolution.
"""

from __future__ import annotations

import cv2
import numpy as np

from .resize import Letterbox, crop_padding, resize_map

CANONICAL_FOCAL_LENGTH = 768.0
_NORMAL_EPS = 1e-8


def segmentation_labels(logits: np.ndarray, image_shape: tuple[int, int]) -> np.ndarray:
    """Class logits (C, h, w) -> int32 labels (H, W): bilinear upsampling to ``image_shape``, then argmax.

    Upsamples one class at a time with a running maximum so that memory stays at a few HxW maps
    instead of C of them; ties keep the lower class index, as argmax does.
    """
    logits = np.asarray(logits, dtype=np.float32)
    best = resize_map(logits[0], image_shape)
    labels = np.zeros(image_shape, dtype=np.int32)
    for class_index in range(1, logits.shape[0]):
        score = resize_map(logits[class_index], image_shape)
        better = score > best
        labels[better] = class_index
        np.maximum(best, score, out=best)
    return labels


def foreground_mask(labels: np.ndarray, image_shape: tuple[int, int] | None = None) -> np.ndarray:
    """Person pixels (label > 0) as a bool mask, resized by nearest neighbour to ``image_shape`` if given."""
    mask = np.asarray(labels) > 0
    if image_shape is not None and mask.shape != tuple(image_shape):
        resized = cv2.resize(mask.astype(np.uint8), (image_shape[1], image_shape[0]), interpolation=cv2.INTER_NEAREST)
        mask = resized.astype(bool)
    return mask


def _to_image(map_chw: np.ndarray, box: Letterbox) -> np.ndarray:
    """(C, h, w) at model resolution -> (H, W, C) at the original size: crop the padding, then resize."""
    hwc = np.ascontiguousarray(np.moveaxis(np.asarray(map_chw, dtype=np.float32), 0, -1))
    return resize_map(np.ascontiguousarray(crop_padding(hwc, box.padding)), box.original_shape)


def normals_to_image(normals: np.ndarray, box: Letterbox) -> np.ndarray:
    """Raw normal output (3, h, w) -> unit normals (H, W, 3) float32.

    Normalised at model resolution (the head's output is not unit length); deliberately not
    re-normalised after resizing, as in the official post-processing.
    """
    normals = np.asarray(normals, dtype=np.float32)
    norm = np.linalg.norm(normals, axis=0, keepdims=True)
    return _to_image(normals / np.maximum(norm, np.float32(_NORMAL_EPS)), box)


def albedo_to_image(albedo: np.ndarray, box: Letterbox) -> np.ndarray:
    """Raw albedo output (3, h, w), RGB -> albedo (H, W, 3) float32 clamped to [0, 1]."""
    return _to_image(np.clip(np.asarray(albedo, dtype=np.float32), 0.0, 1.0), box)


def canonical_to_metric(pointmap: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    """Divide a canonical pointmap, (3, h, w) or (B, 3, h, w), by its predicted scale, one per image.

    The official demo divides a (B, 3, h, w) map by a (B, 1) scale, which only broadcasts correctly
    for B = 1; here the scale is reshaped to (B, 1, 1, 1).
    """
    pointmap = np.asarray(pointmap, dtype=np.float32)
    scale = np.asarray(scale, dtype=np.float32).reshape(-1)
    if pointmap.ndim == 3:
        if scale.size != 1:
            raise ValueError(f"one (3, h, w) pointmap needs one scale, got {scale.size}")
        return pointmap / scale[0]
    if scale.size != pointmap.shape[0]:
        raise ValueError(f"{pointmap.shape[0]} pointmaps need {pointmap.shape[0]} scales, got {scale.size}")
    return pointmap / scale.reshape(-1, 1, 1, 1)


def focal_length_px(scale: float, box: Letterbox, canonical_focal: float = CANONICAL_FOCAL_LENGTH) -> float:
    """Horizontal focal length the pointmap implies, in original-image pixels.

    The model is trained with scale = canonical_focal / fx, where fx is the focal length of the
    letterboxed model input, so fx_input = canonical_focal / scale. The content was resized by
    content_width / original_width, so fx_original = fx_input * original_width / content_width.
    """
    fx_input = canonical_focal / float(scale)
    return fx_input * box.original_shape[1] / box.content_shape[1]


def pointmap_to_image(pointmap: np.ndarray, scale: float, box: Letterbox) -> tuple[np.ndarray, np.ndarray]:
    """Canonical pointmap (3, h, w) and its scale -> metric points (H, W, 3) and depth Z (H, W), metres.

    Camera convention of the training data: OpenCV (x right, y down, z forward), z-depth.
    """
    points = _to_image(canonical_to_metric(pointmap, scale), box)
    return points, np.ascontiguousarray(points[:, :, 2])
