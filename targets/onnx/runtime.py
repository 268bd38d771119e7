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
    # Lean memory for the compile's check, which runs beside the exporter's leftovers: pre-packing copies every MatMul
    # weight into the kernel's layout on the heap, beside the memory-mapped external data (twice the weights), and the
    # arena and memory pattern keep each run's activations reserved for the next. Unpacked, MLAS packs the same panels
    # per call and computes the same sums; without the arena, buffers go back to the allocator as they die.
    verification_options = {"lean_memory": True}

    def __init__(
        self, model_path: Path, manifest: Manifest, threads: int = DEFAULT_THREADS, lean_memory: bool = False
    ) -> None:
        import onnxruntime as ort

        super().__init__(manifest)
        options = ort.SessionOptions()
        # ALL adds layout-specific fusions on top of EXTENDED: ~10 % faster on this model (toolchain.md).
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        if lean_memory:
            options.add_session_config_entry("session.disable_prepacking", "1")
            options.enable_cpu_mem_arena = False
            options.enable_mem_pattern = False
        self.threads = threads
        self.lean_memory = lean_memory
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
        cls,
        directory: Path,
        manifest: Manifest,
        threads: int = DEFAULT_THREADS,
        lean_memory: bool = False,
        **options: Any,
    ) -> OnnxRuntime:
        if options:
            raise TypeError(f"unknown onnxruntime options {sorted(options)}; it takes threads, lean_memory")
        onnx = next(a.file for a in manifest.artifacts if a.file.endswith(".onnx"))
        return cls(directory / onnx, manifest, threads, lean_memory)

    def settings(self) -> dict[str, Any]:
        settings = {"intra_op_num_threads": self.threads, "graph_optimization_level": "ORT_ENABLE_ALL"}
        lean = {"session.disable_prepacking": "1", "enable_cpu_mem_arena": False, "enable_mem_pattern": False}
        return settings | lean if self.lean_memory else settings

    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        return self.session.run(list(self.output_names), {name: batch[name] for name in self.input_names})
