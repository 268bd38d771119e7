"""The PyTorch target: nothing compiles to it; it opens any bundle's source model as the eager reference."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sapiens2.errors import CompileError
from sapiens2.targets.base import Capabilities, ExportedArtifact, ModuleTransform, Target

if TYPE_CHECKING:
    from sapiens2.compile.options import CompileOptions
    from sapiens2.compile.wrappers import ExportWrapper


class TorchTarget(Target):
    name = "torch"
    runtime = "sapiens2.targets.torch.eager:TorchEagerRuntime"
    toolchain = ("torch",)
    capabilities = Capabilities()  # no precisions: a runtime only

    def export(self, wrapper: ExportWrapper, directory: Path, options: CompileOptions, transform: ModuleTransform | None = None) -> ExportedArtifact:
        raise CompileError("torch runs checkpoints as they are (sapiens2.load); compile for onnx, openvino, executorch or coreml")
