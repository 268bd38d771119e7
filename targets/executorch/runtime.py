"""ExecuTorch adapter: runs a bundle's XNNPACK ``.pte`` through ExecuTorch's Python runtime (CPU).

The same program runs on a phone; here it checks fidelity and gives desktop latency. Threads: the
XNNPACK thread pool is process-wide, so ``threads`` (default 2) applies to every ExecuTorch
program of the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sapiens2.bundle import Manifest

from sapiens2.targets.runtime import DEFAULT_THREADS, Runtime

BACKEND = "XnnpackBackend"
METHOD = "forward"


def runnable_program(manifest: Manifest) -> str:
    """The bundle's ``.pte`` that runs here: the XNNPACK one, not the ``unverified`` extra delegates."""
    return next(a.file for a in manifest.artifacts if a.file.endswith(".pte") and a.file not in manifest.unverified)


class ExecuTorchRuntime(Runtime):
    name = "executorch"

    def __init__(self, program_path: Path, manifest: Manifest, threads: int = DEFAULT_THREADS) -> None:
        from executorch.extension.pybindings.portable_lib import _unsafe_reset_threadpool
        from executorch.runtime import Runtime as ProgramLoader

        super().__init__(manifest)
        # "unsafe" only while another thread runs a program; the pool is idle here.
        _unsafe_reset_threadpool(threads)
        self.threads = threads
        self.program_file = program_path.name
        self.method = ProgramLoader.get().load_program(program_path).load_method(METHOD)

    @classmethod
    def available(cls) -> tuple[bool, str]:
        try:
            from executorch.runtime import Runtime as ProgramLoader
        except ImportError:
            return False, "executorch is not installed (pip install executorch)"
        if not ProgramLoader.get().backend_registry.is_available(BACKEND):
            return False, f"this executorch build has no {BACKEND}"
        return True, ""

    @classmethod
    def version(cls) -> str:
        from executorch.version import __version__

        return __version__

    @classmethod
    def load(
        cls, directory: Path, manifest: Manifest, threads: int = DEFAULT_THREADS, **options: Any
    ) -> ExecuTorchRuntime:
        if options:
            raise TypeError(f"unknown executorch options {sorted(options)}; it takes threads")
        return cls(directory / runnable_program(manifest), manifest, threads)

    def settings(self) -> dict[str, Any]:
        return {"threads": self.threads, "program": self.program_file, "delegate": BACKEND}

    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        # The program has a batch of 1: run the items one by one.
        runs = [
            self._run_one({name: batch[name][index : index + 1] for name in self.input_names})
            for index in range(len(batch[self.input_names[0]]))
        ]
        return [np.concatenate(outputs) for outputs in zip(*runs)]

    def _run_one(self, item: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        outputs = self.method.execute([torch.from_numpy(np.ascontiguousarray(item[name])) for name in self.input_names])
        # Outputs live in the program's planned memory, which the next call overwrites: copy.
        return [np.array(output.numpy()) for output in outputs]
