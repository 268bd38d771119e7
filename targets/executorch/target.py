"""The ExecuTorch target's capability table and entry points (exporter, quantizer, runtime imported on use)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from sapiens2.errors import CompileError
from sapiens2.targets.base import Capabilities, ExportedArtifact, ModuleTransform, Quantizer, Target

from .artifact import EXTRA_PARTITIONERS, MODEL_FILE

if TYPE_CHECKING:
    from sapiens2.targets.declared_io import Port
    from sapiens2.compile.options import CompileOptions
    from sapiens2.compile.wrappers import ExportWrapper

QNN_SDK_ENV = "QNN_SDK_ROOT"


class ExecuTorchTarget(Target):
    name = "executorch"
    runtime = "sapiens2.targets.executorch.runtime:ExecuTorchRuntime"
    artifact_suffixes = (".pte",)
    toolchain = ("torch", "executorch", "torchao")
    capabilities = Capabilities(
        precisions=("fp32", "fp16", "int8", "int8-weights", "int4-weights"),
        dynamic_batch=False,
        options=frozenset({"allow_portable", "also_partitioners"}),
        quantize_during_export=True,
        reasons={
            "precision=bf16": "XNNPACK has no bf16 kernels; use --precision fp32 or fp16 for ExecuTorch",
            "dynamic_batch": "ExecuTorch bundles have a fixed batch of 1 (XNNPACK reshapes take one dynamic dimension): "
            "drop --dynamic-batch",
        },
    )

    def check(self, options: CompileOptions) -> None:
        unknown = sorted(set(options.also_partitioners) - set(EXTRA_PARTITIONERS))
        if unknown:
            raise CompileError(f"unknown --also-partitioner {', '.join(unknown)}; choose from {', '.join(EXTRA_PARTITIONERS)}")
        # Without QNN_SDK_ROOT, ExecuTorch's QNN backend tries to download the SDK from Qualcomm at lowering time.
        if "qnn" in options.also_partitioners and not os.environ.get(QNN_SDK_ENV):
            raise CompileError(
                f"--also-partitioner qnn needs the Qualcomm AI Engine Direct (QNN) SDK: install it and set {QNN_SDK_ENV} "
                f"(and LD_LIBRARY_PATH=${QNN_SDK_ENV}/lib/x86_64-linux-clang)"
            )

    def export(self, wrapper: ExportWrapper, directory: Path, options: CompileOptions, transform: ModuleTransform | None = None) -> ExportedArtifact:
        from .exporter import export_artifact

        return export_artifact(wrapper, directory, options, transform)

    def runtime_settings(self, options: CompileOptions) -> dict[str, object]:
        return {"program": MODEL_FILE, "delegate": "XnnpackBackend", "precision": options.precision}

    def quantizer(self) -> Quantizer:
        from . import quantizer

        return quantizer

    def declared_ports(self, artifact: Path) -> tuple[list[Port], list[Port]]:
        from .ports import declared_ports

        return declared_ports(artifact)
