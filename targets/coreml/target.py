"""The Core ML target's capability table and entry points (exporter, quantizer, runtime imported on use)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sapiens2.targets.base import Capabilities, ExportedArtifact, ModuleTransform, Quantizer, Target

from .artifact import DEPLOYMENT_TARGET, compute_precision

if TYPE_CHECKING:
    from sapiens2.targets.declared_io import Port
    from sapiens2.compile.options import CompileOptions
    from sapiens2.compile.wrappers import ExportWrapper

class CoreMLTarget(Target):
    name = "coreml"
    runtime = "sapiens2.targets.coreml.runtime:CoreMLRuntime"
    artifact_suffixes = (".mlpackage", ".mlmodel")
    toolchain = ("torch", "coremltools")
    capabilities = Capabilities(
        # int8-weights / int4-weights: fp16 programs whose weights the quantizer compresses (decompressed at load).
        precisions=("fp16", "fp32", "int8-weights", "int4-weights"),
        default_precision="fp16",
        input_layouts=("NHWC",),  # a camera image: interleaved RGB pixels, normalised in the graph
        default_input_layout="NHWC",
        dynamic_batch=False,
        reasons={
            "precision=int8": "Core ML int8 activations are calibrated by running the model, which needs macOS; "
            "use --precision int8-weights (or int4-weights) for Core ML",
            "precision": "Core ML computes in fp16 (the default, what the Neural Engine runs) or fp32",
            "in_graph_preprocess": "Core ML bundles take a camera image (interleaved RGB pixels): use --in-graph-preprocess "
            "NHWC, the default",
            "dynamic_batch": "Core ML bundles predict one image per call (batch in the app with MLBatchProvider): "
            "drop --dynamic-batch",
        },
    )

    def export(self, wrapper: ExportWrapper, directory: Path, options: CompileOptions, transform: ModuleTransform | None = None) -> ExportedArtifact:
        from .exporter import export_artifact

        return export_artifact(wrapper, directory, options)

    def runtime_settings(self, options: CompileOptions) -> dict[str, object]:
        """Settings an app loads the model with."""
        return {"compute_units": "ALL", "compute_precision": compute_precision(options.precision), "minimum_deployment_target": DEPLOYMENT_TARGET}

    def quantizer(self) -> Quantizer:
        from . import quantizer

        return quantizer

    def verifiable(self) -> tuple[bool, str]:
        """Core ML predicts only on macOS; elsewhere the compile checks the program with the MIL runner."""
        from .runtime import prediction_available

        return prediction_available()

    def declared_ports(self, artifact: Path) -> tuple[list[Port], list[Port]]:
        from .ports import declared_ports

        return declared_ports(artifact)
