"""PyTorch eager adapter: the reference every compiled artifact is measured against.

It runs the same ``ExportWrapper`` the artifact was exported from (same input size, RoPE tables,
attention mode, in-graph pre-processing and decoding), un-exported, so differences are the
export's alone. ``load`` rebuilds the model from the manifest's source: the checkpoint (checked
against its recorded SHA-256) or the recorded random-weights seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sapiens2.bundle import Manifest
from sapiens2.threads import torch_threads

from sapiens2.targets.runtime import DEFAULT_THREADS, Runtime


class TorchEagerRuntime(Runtime):
    name = "torch-eager"

    def __init__(self, module: torch.nn.Module, manifest: Manifest, threads: int | None = None) -> None:
        """``threads``: torch's intra-op thread count while this runtime runs (None: whatever the process uses)."""
        super().__init__(manifest)
        self.threads = threads
        self.module = module.eval()

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, ""

    @classmethod
    def version(cls) -> str:
        return torch.__version__

    @classmethod
    def load(
        cls,
        directory: Path,
        manifest: Manifest,
        threads: int | None = DEFAULT_THREADS,
        checkpoint: str | Path | None = None,
        **options: Any,
    ) -> TorchEagerRuntime:
        """Rebuild the bundle's source model; ``checkpoint`` overrides the recorded checkpoint path."""
        from sapiens2.compile.source import reference_wrapper

        if options:
            raise TypeError(f"unknown torch options {sorted(options)}; it takes threads, checkpoint")
        return cls(reference_wrapper(manifest, checkpoint), manifest, threads)

    def settings(self) -> dict[str, Any]:
        return {"threads": self.threads or torch.get_num_threads()}

    @torch.inference_mode()
    def _run(self, batch: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        with torch_threads(self.threads):
            outputs = self.module(*(torch.from_numpy(np.ascontiguousarray(batch[name])) for name in self.input_names))
        return [output.numpy() for output in outputs]
