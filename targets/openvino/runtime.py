"""OpenVINO (CPU) adapter: LATENCY hint, f32 inference by default, bf16 where the CPU has it.

A bundle compiled with ``--precision bf16`` is an f32 IR plus ``INFERENCE_PRECISION_HINT=bf16`` in
its manifest. On a CPU without bf16 support (no AVX512-BF16/AMX) the adapter falls back to f32 and
says so in ``inference_precision``; the f16 hint is never used on CPU because it silently runs bf16.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sapiens2.bundle import Manifest
from sapiens2.errors import UserError

from sapiens2.targets.runtime import DEFAULT_THREADS, Runtime

from .page_release import pages_released

DEVICE = "CPU"
PRECISION_HINTS = ("f32", "bf16")


class OpenVinoRuntime(Runtime):
    name = "openvino"

    def __init__(
        self, model_path: Path, manifest: Manifest, threads: int = DEFAULT_THREADS, inference_precision: str | None = None
    ) -> None:
        import openvino as ov

        super().__init__(manifest)
        requested = inference_precision or manifest.runtime.settings.get("INFERENCE_PRECISION_HINT", "f32")
        if requested not in PRECISION_HINTS:
            raise UserError(f"OpenVINO inference precision must be one of {PRECISION_HINTS}, got {requested!r}")
        core = ov.Core()
        if requested == "bf16" and not cpu_supports_bf16(core):
            warnings.warn("this CPU has no bf16 support; OpenVINO runs the bf16 bundle in f32", stacklevel=2)
            requested = "f32"
        self.inference_precision = requested
        self.threads = threads
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": requested}
        with pages_released(model_path.with_suffix(".bin")):
            self.compiled = core.compile_model(str(model_path), DEVICE, config)
        self.request = self.compiled.create_infer_request()

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import openvino as ov
        except ImportError:
            return False, "openvino is not installed (pip install openvino)"
        if DEVICE not in ov.Core().available_devices:
            return False, f"OpenVINO sees no {DEVICE} device"
        return True, ""

    @classmethod
    def version(cls) -> str:
        import openvino as ov

        return ov.get_version()

    @classmethod
    def load(
        cls,
        directory: Path,
        manifest: Manifest,
        threads: int = DEFAULT_THREADS,
        inference_precision: str | None = None,
        **options: Any,
    ) -> OpenVinoRuntime:
        if options:
            raise TypeError(f"unknown openvino options {sorted(options)}; it takes threads, inference_precision")
        xml = next(a.file for a in manifest.artifacts if a.file.endswith(".xml"))
        return cls(directory / xml, manifest, threads, inference_precision)

    def settings(self) -> dict[str, Any]:
        return {"INFERENCE_NUM_THREADS": self.threads, "INFERENCE_PRECISION_HINT": self.inference_precision}

    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        results = self.request.infer({name: batch[name] for name in self.input_names})
        # The request reuses its output buffers on the next call: copy.
        return [np.array(results[self.compiled.output(name)]) for name in self.output_names]


def cpu_supports_bf16(core: Any) -> bool:
    """Whether OpenVINO's CPU plugin reports native bf16 execution here."""
    return "BF16" in core.get_property(DEVICE, "OPTIMIZATION_CAPABILITIES")
