"""What every result type shares: JSON export, saving (overlay PNG + JSON + .npy) and array summaries."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .publish import publish_files
from .storage import encode_npy, encode_png

DENSE_NOTE = "dense arrays are summarised here; save() writes them in full as .npy files"


def array_summary(array: np.ndarray, mask: np.ndarray | None = None) -> dict[str, Any]:
    """Shape, dtype and min/max/mean over the finite values (inside ``mask`` if given) of a dense array."""
    array = np.asarray(array)
    values = array[np.asarray(mask, dtype=bool)] if mask is not None else array
    values = values[np.isfinite(values)] if np.issubdtype(values.dtype, np.floating) else values
    summary: dict[str, Any] = {"shape": list(array.shape), "dtype": str(array.dtype)}
    if values.size:
        summary.update(min=float(values.min()), max=float(values.max()), mean=float(values.mean()))
    return summary


def check_shape(name: str, array: np.ndarray, expected: tuple[int | None, ...]) -> None:
    """Raise a ValueError naming ``name`` unless ``array``'s shape matches ``expected`` (None = any)."""
    if array.ndim != len(expected) or any(e is not None and e != s for e, s in zip(expected, array.shape)):
        wanted = "x".join("?" if e is None else str(e) for e in expected)
        raise ValueError(f"{name} has shape {array.shape}, expected {wanted}")


class ResultIO(ABC):
    """Base of the result dataclasses: they define ``task``, ``to_dict``, ``draw`` and maybe ``arrays``.

    ``meta`` holds run facts worth keeping with the numbers (e.g. a warning that the weights were
    random); it must be JSON-serialisable and is copied into ``to_dict()``.
    """

    task: ClassVar[str]
    meta: dict[str, Any]

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable content: small arrays in full, dense arrays summarised."""

    @abstractmethod
    def draw(self, image_bgr: np.ndarray | None = None) -> np.ndarray:
        """A BGR uint8 picture of the result, over ``image_bgr`` where the task overlays the image."""

    def arrays(self) -> dict[str, np.ndarray]:
        """Dense arrays that ``save`` writes as ``{stem}_{name}.npy``; none by default."""
        return {}

    def to_json(self, indent: int | None = None) -> str:
        """``to_dict()`` as a JSON string (compact unless ``indent`` is given)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(
        self, directory: str | Path, stem: str, image_bgr: np.ndarray | None = None, overwrite: bool = True
    ) -> dict[str, Path]:
        """Write ``{stem}_{task}.png`` (``draw(image_bgr)``), ``{stem}_{task}.json`` and the ``.npy`` arrays.

        The files are published together (``publish_files``): all appear or none does, so a result
        that cannot be encoded (e.g. NaN in the JSON) leaves nothing behind. ``overwrite=False``
        refuses to replace existing files. Returns the written paths by kind ("png", "json", array names).
        """
        names = {"png": f"{stem}_{self.task}.png", "json": f"{stem}_{self.task}.json"}
        contents = {names["png"]: encode_png(self.draw(image_bgr)), names["json"]: self.to_json().encode("utf-8")}
        for name, array in self.arrays().items():
            names[name] = f"{stem}_{name}.npy"
            contents[names[name]] = encode_npy(array)
        paths = publish_files(directory, contents, overwrite=overwrite)
        return {kind: paths[name] for kind, name in names.items()}

    def _check_image(self, image_bgr: np.ndarray, image_shape: tuple[int, ...]) -> None:
        check_shape("image_bgr", np.asarray(image_bgr), (image_shape[0], image_shape[1], 3))

    def _header(self, image_shape: tuple[int, int]) -> dict[str, Any]:
        return {"task": self.task, "image_size": [int(image_shape[0]), int(image_shape[1])], "meta": dict(self.meta)}
