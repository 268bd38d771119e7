"""``RemotePredictor``: the ``Predictor`` API with the whole pipeline running on the server.

It sends each image's bytes (a JPEG/PNG file as it is; arrays and PIL images as lossless PNG) and
receives the final Result, so its results equal a local Predictor's on the server's model. Lists of
images are sent ``batch_size`` at a time concurrently, which lets the server batch them together.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from sapiens2.errors import UserError
from sapiens2.pipelines import ModelIO
from sapiens2.predictor import Predictor, _is_many
from sapiens2.processing import load_image
from sapiens2.results import ResultIO

from .client import RemoteModel

SENT_AS_IS = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def image_bytes(source: Any, color_order: str | None) -> bytes:
    """JPEG/PNG files as they are; anything else ``load_image`` reads, encoded as a lossless PNG."""
    if isinstance(source, (str, Path)) and Path(source).is_file():
        data = Path(source).read_bytes()
        if data.startswith(SENT_AS_IS):
            return data
    ok, encoded = cv2.imencode(".png", load_image(source, color_order))
    if not ok:
        raise UserError("the image could not be encoded as PNG for the server")
    return encoded.tobytes()


class RemotePredictor(Predictor):
    """``predict`` / ``predict_video`` as a local Predictor, computed by a ``sapiens2 serve`` model."""

    def __init__(self, model: RemoteModel, batch_size: int, flip: bool = False) -> None:
        info = model.info()
        # No local pipeline or runtime: the server runs both, so Predictor.__init__ is not called.
        self.model = model
        self.io = ModelIO(task=info["task"], input_size=tuple(info["input_size"]), output_names=())
        self.task = info["task"]
        self.batch_size = batch_size
        self.flip = flip
        self.meta = {"server": model.url}

    def predict(self, images: Any, boxes: Any = None, foreground: Any = None, color_order: str | None = None) -> Any:
        if foreground is not None:
            raise UserError("foreground masks are not sent to the server: apply the seg result's mask locally")
        many = _is_many(images)
        sources = list(images) if many else [images]
        per_image_boxes = self._per_image(boxes, len(sources), many)
        requests = [(image_bytes(source, color_order), self._options(b)) for source, b in zip(sources, per_image_boxes)]
        with ThreadPoolExecutor(max_workers=min(self.batch_size, len(requests))) as pool:
            results = list(pool.map(lambda request: self._predict_one(*request), requests))
        return results if many else results[0]

    def run_model(self, inputs: np.ndarray) -> dict[str, np.ndarray]:
        """Not available: a served model takes images, and its raw outputs stay on the server."""
        raise UserError("a served model runs whole predictions: call predict() with images")

    def _options(self, boxes: Any) -> dict[str, Any]:
        options: dict[str, Any] = {"dense_dtype": "float32"}
        if self.task == "pose":
            options["flip"] = self.flip
            if boxes is not None:
                options["boxes"] = np.asarray(boxes, dtype=np.float64).reshape(-1, np.shape(boxes)[-1]).tolist()
        elif boxes is not None or self.flip:
            raise UserError(f"boxes and flip apply to pose, but this is a {self.task} model")
        return options

    def _predict_one(self, image: bytes, options: dict[str, Any]) -> ResultIO:
        result = self.model.predict(image, options)
        result.meta.update(self.meta)
        return result
