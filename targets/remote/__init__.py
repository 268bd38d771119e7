"""The remote runtime: ``sapiens2.load("http://HOST:PORT/v1/models/NAME")`` -> a ``Predictor`` whose
pre-processing, model and post-processing all run on a ``sapiens2 serve`` server."""

from __future__ import annotations

from typing import Any

from sapiens2.errors import UserError

from .client import RemoteModel, split_model_url
from .predictor import RemotePredictor, image_bytes

__all__ = ["RemoteModel", "RemotePredictor", "image_bytes", "open_remote", "split_model_url"]


def open_remote(
    url: str,
    batch_size: int = 8,
    api_key: str | None = None,
    timeout_s: float = 120.0,
    flip: bool = False,
    **refused: Any,
) -> RemotePredictor:
    """A Predictor for a served model; the model's precision and input size are the server's."""
    given = sorted(name for name, value in refused.items() if value is not None)
    if given:
        raise UserError(
            f"{', '.join(given)} cannot be chosen for a served model: the server fixes them (see sapiens2 serve --help)"
        )
    return RemotePredictor(RemoteModel(url, api_key, timeout_s), batch_size, flip)
