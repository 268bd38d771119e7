"""The OpenVINO target's capability table and entry points (exporter, quantizer, runtime imported on use)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sapiens2.cpu import BF16_ISA, INT8_ISA
from sapiens2.targets.base import Capabilities, ExportedArtifact, ModuleTransform, Quantizer, Target

if TYPE_CHECKING:
    from sapiens2.targets.declared_io import Port
    from sapiens2.compile.options import CompileOptions
    from sapiens2.compile.wrappers import ExportWrapper


class OpenVinoTarget(Target):
    name = "openvino"
    runtime = "sapiens2.targets.openvino.runtime:OpenVinoRuntime"
    artifact_suffixes = (".xml",)
    toolchain = ("torch", "openvino", "nncf")
    # bf16: an f32 IR plus the bf16 execution hint (runtime.py falls back to f32 where the CPU lacks bf16).
    # --precision auto: bf16 before int8, since on a Zen 4 with both they ran at the same speed (345 GFLOP/s and 347 GOP/s,
    # 0.1b pose at 512x384, issue 16) and bf16 is the more faithful (1 - cos 1.8e-4) and compiles in seconds, not minutes.
    capabilities = Capabilities(
        precisions=("fp32", "fp16", "bf16", "int8", "int8-weights", "int4-weights"),
        options=frozenset({"stream_weights"}),
        auto_precisions={"bf16": BF16_ISA, "int8": INT8_ISA},
    )

    def export(self, wrapper: ExportWrapper, directory: Path, options: CompileOptions, transform: ModuleTransform | None = None) -> ExportedArtifact:
        from .exporter import export_artifact

        return export_artifact(wrapper, directory, options)

    def runtime_settings(self, options: CompileOptions) -> dict[str, object]:
        return {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "bf16" if options.precision == "bf16" else "f32"}

    def quantizer(self) -> Quantizer:
        from . import quantizer

        return quantizer

    def declared_ports(self, artifact: Path) -> tuple[list[Port], list[Port]]:
        from .ports import declared_ports

        return declared_ports(artifact)
