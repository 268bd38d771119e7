"""Normals, pointmaps and albedo: letterbox in (official), padding cropped and resized back out."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..processing import albedo_to_image, focal_length_px, foreground_mask, letterbox, normals_to_image, pointmap_to_image
from ..results import AlbedoResult, NormalResult, PointmapResult, SegResult
from .base import ModelIO, Prepared


class _LetterboxPipeline:
    """Shared letterbox pre-processing and the optional foreground mask from a seg result."""

    def __init__(self, io: ModelIO) -> None:
        self.io = io

    def prepare(self, image_bgr: np.ndarray, foreground: SegResult | np.ndarray | None = None, **_: Any) -> Prepared:
        padded, box = letterbox(image_bgr, self.io.input_size_wh)
        mask = None
        if foreground is not None:
            labels = foreground.labels if isinstance(foreground, SegResult) else foreground
            mask = foreground_mask(labels, image_bgr.shape[:2])
        return Prepared(padded[None], {"letterbox": box, "mask": mask})


class NormalPipeline(_LetterboxPipeline):
    def finish(self, outputs: dict[str, np.ndarray], prepared: Prepared) -> NormalResult:
        normals = normals_to_image(outputs["normal"][0], prepared.context["letterbox"])
        return NormalResult(normals=normals, mask=prepared.context["mask"])


class AlbedoPipeline(_LetterboxPipeline):
    def finish(self, outputs: dict[str, np.ndarray], prepared: Prepared) -> AlbedoResult:
        albedo = albedo_to_image(outputs["albedo"][0], prepared.context["letterbox"])
        return AlbedoResult(albedo=albedo, mask=prepared.context["mask"])


class PointmapPipeline(_LetterboxPipeline):
    def finish(self, outputs: dict[str, np.ndarray], prepared: Prepared) -> PointmapResult:
        box = prepared.context["letterbox"]
        scale = float(np.asarray(outputs["scale"]).reshape(-1)[0])
        points, depth = pointmap_to_image(outputs["pointmap"][0], scale, box)
        focal = focal_length_px(scale, box, self.io.canonical_focal_length)
        return PointmapResult(points=points, depth=depth, scale=scale, focal_length=focal, mask=prepared.context["mask"])
