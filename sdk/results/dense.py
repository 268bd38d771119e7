"""Per-pixel geometry and appearance results: surface normals, metric pointmaps, albedo.

All arrays are at the original image resolution. ``mask`` (H, W) bool, when a segmentation was
supplied, marks the person pixels (seg label > 0): summaries and pictures use only those; the
arrays themselves keep every pixel's prediction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..processing.visualize import albedo_to_bgr, depth_to_bgr, normals_to_bgr
from .base import DENSE_NOTE, ResultIO, array_summary, check_shape


def _checked_mask(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if mask is None:
        return None
    mask = np.asarray(mask, dtype=bool)
    check_shape("mask", mask, tuple(shape[:2]))
    return mask


def _mask_summary(mask: np.ndarray | None) -> dict[str, Any] | None:
    return None if mask is None else {"foreground_fraction": float(mask.mean())}


@dataclass(eq=False)
class NormalResult(ResultIO):
    """``normals`` (H, W, 3) float32 unit vectors (x, y, z) in the camera frame."""

    task = "normal"

    normals: np.ndarray
    mask: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.normals = np.asarray(self.normals, dtype=np.float32)
        check_shape("normals", self.normals, (None, None, 3))
        self.mask = _checked_mask(self.mask, self.normals.shape)

    def to_dict(self) -> dict[str, Any]:
        """A summary of the normals; the array goes to ``{stem}_normal.npy``."""
        return {
            **self._header(self.normals.shape),
            "normals": array_summary(self.normals, self.mask),
            "mask": _mask_summary(self.mask),
            "note": DENSE_NOTE,
        }

    def draw(self, image_bgr: np.ndarray | None = None) -> np.ndarray:
        """(n + 1) / 2 * 255 colours (x->R, y->G, z->B); the image (or black) outside the mask."""
        if image_bgr is not None:
            self._check_image(image_bgr, self.normals.shape)
        return normals_to_bgr(self.normals, self.mask, image_bgr)

    def arrays(self) -> dict[str, np.ndarray]:
        """The normals, float32 (H, W, 3)."""
        return {"normal": self.normals}


@dataclass(eq=False)
class PointmapResult(ResultIO):
    """``points`` (H, W, 3) metric camera coordinates (OpenCV axes, metres), ``depth`` (H, W) = Z.

    ``scale`` is the model's canonical-to-metric divisor; ``focal_length`` the horizontal focal
    length it implies, in original-image pixels (768 / scale at the 1024x768 model input, rescaled
    by the letterbox resize; see ``sapiens2.processing.focal_length_px``).
    """

    task = "pointmap"

    points: np.ndarray
    depth: np.ndarray
    scale: float
    focal_length: float
    mask: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, dtype=np.float32)
        self.depth = np.asarray(self.depth, dtype=np.float32)
        check_shape("points", self.points, (None, None, 3))
        check_shape("depth", self.depth, self.points.shape[:2])
        self.scale, self.focal_length = float(self.scale), float(self.focal_length)
        self.mask = _checked_mask(self.mask, self.points.shape)

    def to_dict(self) -> dict[str, Any]:
        """Scale, focal length and a depth summary; the arrays go to ``{stem}_pointmap.npy`` / ``_depth.npy``."""
        return {
            **self._header(self.depth.shape),
            "scale": self.scale,
            "focal_length_px": self.focal_length,
            "depth": array_summary(self.depth, self.mask),
            "points": array_summary(self.points, self.mask),
            "mask": _mask_summary(self.mask),
            "note": DENSE_NOTE,
        }

    def draw(self, image_bgr: np.ndarray | None = None) -> np.ndarray:
        """Turbo colour map of inverse depth (near = red), grey outside the mask; the image is not used."""
        return depth_to_bgr(self.depth, self.mask)

    def arrays(self) -> dict[str, np.ndarray]:
        """The points (H, W, 3) and the depth (H, W), float32."""
        return {"pointmap": self.points, "depth": self.depth}


@dataclass(eq=False)
class AlbedoResult(ResultIO):
    """``albedo`` (H, W, 3) float32 RGB reflectance in [0, 1] (sRGB-encoded, like the training targets)."""

    task = "albedo"

    albedo: np.ndarray
    mask: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.albedo = np.asarray(self.albedo, dtype=np.float32)
        check_shape("albedo", self.albedo, (None, None, 3))
        self.mask = _checked_mask(self.mask, self.albedo.shape)

    def to_dict(self) -> dict[str, Any]:
        """A summary of the albedo; the array goes to ``{stem}_albedo.npy``."""
        return {
            **self._header(self.albedo.shape),
            "albedo": array_summary(self.albedo, self.mask),
            "mask": _mask_summary(self.mask),
            "note": DENSE_NOTE,
        }

    def draw(self, image_bgr: np.ndarray | None = None) -> np.ndarray:
        """The albedo as BGR uint8, grey (100, 100, 100) outside the mask; the image is not used."""
        return albedo_to_bgr(self.albedo, self.mask)

    def arrays(self) -> dict[str, np.ndarray]:
        """The albedo, float32 (H, W, 3)."""
        return {"albedo": self.albedo}
