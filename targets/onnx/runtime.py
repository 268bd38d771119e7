"""ONNX Runtime (CPU) adapter: graph optimisation ALL, 2 intra-op threads unless told otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sapiens2.bundle import Manifest

from sapiens2.targets.runtime import DEFAULT_THREADS, Runtime

PROVIDER = "CPUExecutionProvider"


class OnnxRuntime(Runtime):
    name = "onnxruntime"
    # Pre-packing copies every MatMul weight into the kernel's layout on the heap, beside the memory-mapped external
    # data: twice the weights. Unpacked, MLAS packs the same panels per call and computes the same sums.
    verification_options = {"prepack": False}

    def __init__(self, model_path: Path, manifest: Manifest, threads: int = DEFAULT_THREADS, prepack: bool = True) -> None:
        import onnxruntime as ort

        super().__init__(manifest)
        options = ort.SessionOptions()
        # ALL adds layout-specific fusions on top of EXTENDED: ~10 % faster on this model (toolchain.md).
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if not prepack:
            options.add_session_config_entry("session.disable_prepacking", "1")
        self.threads = threads
        self.prepack = prepack
        self.session = ort.InferenceSession(str(model_path), options, providers=[PROVIDER])

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            import onnxruntime as ort
        except ImportError:
            return False, "onnxruntime is not installed (pip install onnxruntime)"
        if PROVIDER not in ort.get_available_providers():
            return False, f"this onnxruntime build has no {PROVIDER}"
        return True, ""

    @classmethod
    def version(cls) -> str:
        import onnxruntime as ort

        return ort.__version__

    @classmethod
    def load(
        cls, directory: Path, manifest: Manifest, threads: int = DEFAULT_THREADS, prepack: bool = True, **options: Any
    ) -> OnnxRuntime:
        if options:
            raise TypeError(f"unknown onnxruntime options {sorted(options)}; it takes threads, prepack")
        onnx = next(a.file for a in manifest.artifacts if a.file.endswith(".onnx"))
        return cls(directory / onnx, manifest, threads, prepack)

    def settings(self) -> dict[str, Any]:
        settings = {"intra_op_num_threads": self.threads, "graph_optimization_level": "ORT_ENABLE_ALL"}
        return settings if self.prepack else settings | {"session.disable_prepacking": "1"}

    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        return self.session.run(list(self.output_names), {name: batch[name] for name in self.input_names})
