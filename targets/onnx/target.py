"""The ONNX target's capability table and entry points (exporter, quantizer, runtime imported on use)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

from sapiens2.errors import CompileError
from sapiens2.cpu import INT8_ISA
from sapiens2.targets.base import Capabilities, ExportedArtifact, ModuleTransform, Quantizer, Target

from .artifact import OPSET

if TYPE_CHECKING:
    from sapiens2.targets.declared_io import Port
    from sapiens2.compile.options import CompileOptions
    from sapiens2.compile.wrappers import ExportWrapper


class OnnxTarget(Target):
    name = "onnx"
    runtime = "sapiens2.targets.onnx.runtime:OnnxRuntime"
    artifact_suffixes = (".onnx",)
    toolchain = ("torch", "onnx", "onnxscript", "onnxruntime", "onnxconverter-common")
    capabilities = Capabilities(
        precisions=("fp32", "fp16", "int8", "int8-weights", "int4-weights"),
        options=frozenset({"optimize_graph", "stream_weights"}),
        # ONNX Runtime runs the 0.1b pose at 512x384 at 1.16-1.20x eager with phase deconvs against 1.04-1.11x native.
        default_deconv="phase",
        opset=OPSET,
        # --precision auto: with VNNI, static int8 ran at 444 GOP/s against an fp32 GEMM ceiling of 207 GFLOP/s (0.1b
        # pose at 512x384, issue 16); without VNNI the u8s8 kernels lose most of that edge (AVX2 Zen 2: int8 2324 ms,
        # fp32 2295 on a quiet host; 0-35 % faster on a busy one), so fp32 (exact) is kept.
        auto_precisions={"int8": INT8_ISA},
        reasons={
            "precision=bf16": "ONNX Runtime CPU has no bf16 kernels; use --target openvino --precision bf16 (bf16 execution "
            "hint), or --precision fp16/fp32 for ONNX",
        },
    )

    def check(self, options: CompileOptions) -> None:
        if options.precision == "fp16" and importlib.util.find_spec("onnxconverter_common") is None:
            raise CompileError(
                "--precision fp16 for ONNX needs onnxconverter-common (pip install onnxconverter-common); "
                "note that fp16 ONNX runs slower than fp32 on ONNX Runtime CPU and only halves the file"
            )

    def export(self, wrapper: ExportWrapper, directory: Path, options: CompileOptions, transform: ModuleTransform | None = None) -> ExportedArtifact:
        from .exporter import export_artifact

        return export_artifact(wrapper, directory, options)

    def runtime_settings(self, options: CompileOptions) -> dict[str, object]:
        return {"graph_optimization_level": "ORT_ENABLE_ALL"}

    def quantizer(self) -> Quantizer:
        from . import quantizer

        return quantizer

    def declared_ports(self, artifact: Path) -> tuple[list[Port], list[Port]]:
        from .ports import declared_ports

        return declared_ports(artifact)
