"""The one interface every runtime implements, and ``open_bundle`` that opens a bundle with its target's.

``open_bundle(path)`` reads the manifest (schema-checked), verifies every artifact's SHA-256,
checks that the runtime the manifest names is installed and usable here, and returns a ready
``Runtime``. Each failure is a ``UserError`` with a one-line reason.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sapiens2.bundle import Bundle, Manifest, read_bundle
from sapiens2.errors import UserError

from .declared_io import check_declared_io
from .registry import get_target

DEFAULT_THREADS = 2


class Runtime(ABC):
    """Runs one compiled model: ``run({input name: array}) -> {output name: array}``.

    Subclasses set ``name`` (e.g. ``"onnxruntime"``), implement ``available`` (with the reason
    when not), ``version``, ``load`` (from a bundle directory and its manifest) and ``_run``.
    """

    name: ClassVar[str]
    device: str = "cpu"
    # What ``load`` takes when a compile verifies a fresh artifact: settings that spare memory without changing results.
    verification_options: ClassVar[Mapping[str, Any]] = {}

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self.input_names: tuple[str, ...] = manifest.input_names
        self.output_names: tuple[str, ...] = manifest.output_names

    @classmethod
    @abstractmethod
    def available(cls) -> tuple[bool, str]:
        """(True, "") when this runtime can run here, else (False, why and what to install)."""

    @classmethod
    @abstractmethod
    def version(cls) -> str:
        """The installed runtime's version (recorded in manifests)."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, manifest: Manifest, **options: Any) -> Runtime:
        """Load the artifact of a bundle directory whose manifest is ``manifest`` (checksums not re-checked)."""

    @abstractmethod
    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Outputs in ``output_names`` order for a batch already checked against the inputs."""

    def settings(self) -> dict[str, Any]:
        """The effective settings this runtime runs with (threads, precision), for reports."""
        return {}

    def run(self, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run one batch; keys must be the input names, arrays the manifest's dtype."""
        missing = [name for name in self.input_names if name not in batch]
        if missing:
            raise UserError(f"{self.name}: batch lacks input(s) {missing}; this model takes {list(self.input_names)}")
        for spec in self.manifest.inputs:
            array = batch[spec.name]
            if array.dtype != np.dtype(spec.dtype):
                raise UserError(f"{self.name}: input {spec.name!r} must be {spec.dtype}, got {array.dtype}")
            expected = tuple(spec.shape[1:])
            if tuple(array.shape[1:]) != expected:
                raise UserError(
                    f"{self.name}: input {spec.name!r} must have shape (batch, {', '.join(map(str, expected))}) "
                    f"({spec.layout}), got {tuple(array.shape)}"
                )
        return dict(zip(self.output_names, self._run(batch)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.manifest.task!r}, device={self.device!r})"


def runtime_class(target: str) -> type[Runtime]:
    """The runtime class of a target (the manifest's ``target``, or ``"torch"`` for the eager reference)."""
    return get_target(target).runtime_class()


def open_bundle(path: str | Path, target: str | None = None, **options: Any) -> Runtime:
    """Verify a bundle and open it with its runtime (``target="torch"``: the PyTorch eager reference).

    ``options`` go to the adapter, e.g. ``threads=4`` or OpenVINO's ``inference_precision="f32"``.
    """
    bundle = read_bundle(path, verify=True)
    return open_verified(bundle, target, **options)


def open_verified(bundle: Bundle, target: str | None = None, **options: Any) -> Runtime:
    """``open_bundle`` for a bundle already read (and verified) with ``read_bundle``."""
    if target in (None, bundle.manifest.target):
        check_declared_io(bundle)
    return get_target(target or bundle.manifest.target).open(bundle, **options)
