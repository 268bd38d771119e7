"""The quantization stages of the compile pipeline: plan before the export, quantize after it, gate after verifying.

``plan_quantization`` gathers the calibration data (``sapiens2.quantize.calibration``) and runs the
per-layer sensitivity scan (``sapiens2.quantize.sensitivity``): which layer groups stay in float.
The target's own tool (``Target.quantizer()``) then quantizes with those layers excluded, at the
point its format allows:

* after the export, on the fp32 artifact in the staging directory (``quantize_exported``): ONNX
  Runtime, OpenVINO, Core ML;
* during the export, where the capability table says ``quantize_during_export`` (ExecuTorch):
  PT2E rewrites the module before it is lowered (the plan's ``transform`` goes to ``Target.export``).

``check_accuracy`` runs the held-out images through the quantized artifact and the fp32 PyTorch
reference (``sapiens2.quantize.accuracy``). ``sapiens2 compile --precision int8`` and
``sapiens2 quantize BUNDLE`` both go through here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sapiens2.bundle import Manifest
from sapiens2.bundle.manifest import Quantization
from sapiens2.quantize.accuracy import Runner, evaluate, gate
from sapiens2.quantize.calibration import CalibrationSet, calibration_set
from sapiens2.quantize.layers import NEVER_QUANTIZED, kept_layers, layer_groups
from sapiens2.quantize.sensitivity import GroupSensitivity, scan, scan_table, select_kept
from sapiens2.targets import Target

from .options import CompileOptions
from sapiens2.threads import torch_threads
from .wrappers import ExportWrapper

REFERENCE = "PyTorch eager fp32 ExportWrapper (the model the artifact was exported from)"


@dataclass
class QuantizationPlan:
    """Calibration data and the layers to keep in float, decided before the export.

    ``transform`` is set for targets that quantize during the export (ExecuTorch).
    """

    calibration: CalibrationSet
    scan: list[GroupSensitivity]
    kept: list[str]
    layers: set[str]
    transform: Any = None


@dataclass(frozen=True)
class QuantizedArtifact:
    """What quantizing produced: the bundle's files, the manifest record, and what the accuracy gate needs."""

    files: list[str]
    record: Quantization
    calibration: CalibrationSet
    feature_tap: Any
    report: dict[str, Any]


def plan_quantization(wrapper: ExportWrapper, options: CompileOptions, target: Target) -> QuantizationPlan:
    """Calibration inputs and held-out images, then the sensitivity scan and the groups it keeps in float."""
    preprocess = wrapper.normalizer.layout if wrapper.normalizer is not None else None
    calibration = calibration_set(
        wrapper.task, wrapper.input_size, wrapper.output_names, preprocess, options.calibration, options.calibration_size
    )
    quantizer = target.quantizer()
    types = quantizer.LAYER_TYPES[options.precision]
    with torch_threads(options.threads):
        results = scan(wrapper, calibration.inputs, options.precision, types) if options.float_budget > 0 else []
    kept = select_kept(results, options.float_budget)
    layers = kept_layers(layer_groups(wrapper.model, types), kept)
    plan = QuantizationPlan(calibration, results, kept, layers)
    if target.capabilities.quantize_during_export:
        plan.transform = quantizer.export_transform(options.precision, calibration.inputs, layers)
    return plan


def quantize_exported(
    wrapper: ExportWrapper, directory: Path, options: CompileOptions, plan: QuantizationPlan, target: Target
) -> QuantizedArtifact:
    """Quantize the fp32 artifact in ``directory`` (unless the export already did) and describe the result."""
    quantizer = target.quantizer()
    calibration = plan.calibration
    if plan.transform is not None:
        tap = plan.transform.converted
        files = sorted(str(path.relative_to(directory)) for path in directory.rglob("*") if path.is_file())
    else:
        tap = quantizer.feature_tap(directory)
        files = quantizer.quantize_artifact(directory, options.precision, calibration, plan.layers, wrapper.input_names[0])
    scheme, weights, activations = quantizer.SCHEMES[options.precision]
    record = Quantization(scheme, quantizer.tool(), weights, activations, calibration.record(), tuple(plan.kept))
    report = {
        **asdict(record),
        "held_out_images": [image.name for image in calibration.held_out],
        "never_quantized": list(NEVER_QUANTIZED),
        "float_budget": options.float_budget,
        "sensitivity_scan": scan_table(plan.scan, plan.kept),
    }
    return QuantizedArtifact(files, record, calibration, tap, report)


@contextmanager
def torch_runner(wrapper: ExportWrapper) -> Iterator[Runner]:
    """The eager wrapper as a runner that also returns the decode head's input as ``features``."""
    captured: dict[str, torch.Tensor] = {}
    hook = wrapper.model.decode_head.register_forward_pre_hook(lambda _, args: captured.update(features=args[0]))

    @torch.no_grad()
    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        outputs = wrapper(torch.from_numpy(batch))
        return {**{name: out.numpy() for name, out in zip(wrapper.output_names, outputs)}, "features": captured["features"].numpy()}

    try:
        yield run
    finally:
        hook.remove()


def check_accuracy(
    directory: Path, manifest: Manifest, wrapper: ExportWrapper, artifact: QuantizedArtifact, options: CompileOptions, target: Target
) -> dict[str, Any]:
    """The report's ``accuracy`` section: quantized vs fp32 on the held-out images, and the gate's verdict."""
    candidate = target.quantizer().feature_runner(directory, manifest, artifact.feature_tap, options.threads)
    calibration = artifact.calibration
    with torch_threads(options.threads), torch_runner(wrapper) as reference:
        result = evaluate(manifest.task, calibration.pipeline, calibration.held_out, calibration.model_input, reference, candidate)
    return {"reference": REFERENCE, **result, "gate": gate(result["summary"], options.accuracy_thresholds)}
