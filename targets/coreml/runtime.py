"""Core ML adapter: a bundle's ``.mlpackage`` through Core ML (macOS only), or the MIL runner (any OS).

Core ML prediction needs macOS: coremltools has no runtime for other systems, so ``available()``
is False elsewhere and ``open_bundle`` refuses with that reason. ``CoreMLRuntime.load`` can still
return a ``MilRunnerRuntime``, which evaluates the saved ML program op by op on the CPU
(``sapiens2.targets.coreml.mil_runner``): that is how a Linux compile checks the conversion. It is slow
and not Apple's kernels, so it is a check, not a way to deploy.

Both take the manifest's input (uint8 RGB, NHWC) and hand Core ML an RGB image; both cast the
outputs to the manifest's dtypes (Core ML has no uint8 multi-arrays: labels come back int32).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sapiens2.bundle import Manifest

from sapiens2.errors import RuntimeUnavailableError
from sapiens2.targets.runtime import Runtime

RUNNERS = ("coreml", "mil")
COMPUTE_UNITS = ("ALL", "CPU_AND_NE", "CPU_AND_GPU", "CPU_ONLY")


def prediction_available() -> tuple[bool, str]:
    """(True, "") where Core ML itself can predict, else (False, why)."""
    if sys.platform != "darwin":
        return False, (
            f"Core ML prediction needs macOS and this is {sys.platform} (coremltools has no runtime here); the compile "
            "checked the ML program with the MIL runner instead (report.json fidelity_path)"
        )
    try:
        from coremltools import libcoremlpython  # noqa: F401 - the native runtime bindings
    except ImportError:
        return False, "coremltools with its macOS runtime is not installed (pip install coremltools)"
    return True, ""


def package_path(directory: Path, manifest: Manifest) -> Path:
    """The bundle's ``.mlpackage`` directory (its files are the manifest's artifacts)."""
    package = next(a.file.split("/")[0] for a in manifest.artifacts if a.file.split("/")[0].endswith(".mlpackage"))
    return directory / package


def _as_manifest_dtypes(manifest: Manifest, outputs: Mapping[str, Any]) -> list[np.ndarray]:
    return [np.asarray(outputs[spec.name]).astype(spec.dtype) for spec in manifest.outputs]


def _per_image(batch: np.ndarray, run_one: Any) -> list[np.ndarray]:
    """Core ML programs here take one image: run a batch item by item and stack the outputs."""
    runs = [run_one(image) for image in batch]
    return [np.concatenate(outputs) for outputs in zip(*runs)]


class CoreMLRuntime(Runtime):
    name = "coreml"

    def __init__(self, package: Path, manifest: Manifest, compute_units: str = "ALL") -> None:
        import coremltools as ct

        super().__init__(manifest)
        if compute_units not in COMPUTE_UNITS:
            raise ValueError(f"compute_units must be one of {COMPUTE_UNITS}, got {compute_units!r}")
        self.compute_units = compute_units
        self.model = ct.models.MLModel(str(package), compute_units=ct.ComputeUnit[compute_units])

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return prediction_available()

    @classmethod
    def version(cls) -> str:
        import coremltools as ct

        return ct.__version__

    @classmethod
    def load(
        cls,
        directory: Path,
        manifest: Manifest,
        runner: str | None = None,
        compute_units: str = "ALL",
        threads: int | None = None,
        **options: Any,
    ) -> Runtime:
        """Core ML itself (``runner="coreml"``, macOS) or the MIL runner (``"mil"``); by default Core ML where it can run.

        ``threads`` is accepted for the common interface and ignored: Core ML schedules itself.
        """
        if options:
            raise TypeError(f"unknown coreml options {sorted(options)}; it takes runner, compute_units, threads")
        ok, reason = prediction_available()
        runner = runner or ("coreml" if ok else "mil")
        if runner not in RUNNERS:
            raise ValueError(f"runner must be one of {RUNNERS}, got {runner!r}")
        if runner == "mil":
            return MilRunnerRuntime(package_path(directory, manifest), manifest)
        if not ok:
            raise RuntimeUnavailableError(reason)
        return cls(package_path(directory, manifest), manifest, compute_units)

    def settings(self) -> dict[str, Any]:
        return {"compute_units": self.compute_units}

    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        from PIL import Image

        name = self.input_names[0]

        def run_one(pixels: np.ndarray) -> list[np.ndarray]:
            return _as_manifest_dtypes(
                self.manifest, self.model.predict({name: Image.fromarray(np.ascontiguousarray(pixels), "RGB")})
            )

        return _per_image(batch[name], run_one)


class MilRunnerRuntime(Runtime):
    """The ML program evaluated op by op on the CPU (any OS): a conversion check, slow, not Apple's kernels."""

    name = "coreml-mil-runner"

    def __init__(self, package: Path, manifest: Manifest) -> None:
        from sapiens2.targets.coreml.mil_runner import MilProgramRunner

        super().__init__(manifest)
        self.program = MilProgramRunner(package)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import coremltools  # noqa: F401
        except ImportError:
            return False, "coremltools is not installed (pip install coremltools)"
        return True, ""

    @classmethod
    def version(cls) -> str:
        return CoreMLRuntime.version()

    @classmethod
    def load(cls, directory: Path, manifest: Manifest, **options: Any) -> MilRunnerRuntime:
        return cls(package_path(directory, manifest), manifest)

    def settings(self) -> dict[str, Any]:
        return {"runner": "mil", "note": "MIL ops evaluated in numpy/torch: fp16 storage, fp32 accumulation"}

    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        name = self.input_names[0]

        def run_one(pixels: np.ndarray) -> list[np.ndarray]:
            # The ML program's image input is the (1, 3, H, W) float tensor Core ML makes from an RGB image.
            image = np.ascontiguousarray(pixels.transpose(2, 0, 1)[None], dtype=np.float32)
            return _as_manifest_dtypes(self.manifest, self.program.run({self.program.input_names[0]: image}))

        return _per_image(batch[name], run_one)
