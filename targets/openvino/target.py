"""The OpenVINO target's capability table and entry points (exporter, quantizer, runtime imported on use)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sapiens2.cpu import BF16_ISA, INT8_ISA, has_fast_bf16
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
    # --precision auto: int8 before bf16, since on a Zen 4 with both the int8 IR with its float remainder in bf16
    # (float_arithmetic) ran in 282-313 ms against bf16's 396 (0.1b pose at 512x384, issue 16); an int8 that fails its
    # accuracy gate falls through to bf16, which compiles in seconds.
    capabilities = Capabilities(
        precisions=("fp32", "fp16", "bf16", "int8", "int8-weights", "int4-weights"),
        options=frozenset({"stream_weights"}),
        # Phase deconvs: NNCF quantizes the plain convolutions, not the transposed ones, which stayed in bf16 and took
        # 30 % of the int8 pose's time on an AMX CPU (0.1b pose at 512x384, one bench run: int8 3.12x -> 3.91x eager,
        # bf16 2.70x -> 4.62x, fp32 1.03x -> 1.24x); fp32 on a Zen 4 ran both alike (1.34x vs 1.35x, compile/README.md).
        default_deconv="phase",
        auto_precisions={"int8": INT8_ISA, "bf16": BF16_ISA},
    )

    def export(self, wrapper: ExportWrapper, directory: Path, options: CompileOptions, transform: ModuleTransform | None = None) -> ExportedArtifact:
        from .exporter import export_artifact

        return export_artifact(wrapper, directory, options)

    def runtime_settings(self, options: CompileOptions) -> dict[str, object]:
        return {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": float_arithmetic(options.precision)}

    def quantizer(self) -> Quantizer:
        from . import quantizer

        return quantizer

    def declared_ports(self, artifact: Path) -> tuple[list[Port], list[Port]]:
        from .ports import declared_ports

        return declared_ports(artifact)


def float_arithmetic(precision: str) -> str:
    """The arithmetic of the float ops OpenVINO runs: bf16 for bf16 bundles, and for int8 ones on a CPU with native bf16.

    An int8 IR keeps its attention products, softmax, norms and element-wise work in float (half the time of the
    0.1B pose at 512x384, docs/benchmarks.md); in bf16 it ran in 282-313 ms against 410 in f32 on a Zen 4 with BF16, and the
    accuracy gate (backbone features against fp32) checks it like any int8 artifact. Elsewhere bf16 would be emulated.
    """
    return "bf16" if precision == "bf16" or (precision == "int8" and has_fast_bf16()) else "f32"
