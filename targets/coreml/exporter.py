"""Core ML target: coremltools -> ML program ``model.mlpackage`` (iOS 17 / macOS 14) that takes a camera image.

Choices (docs/toolchain.md section 4):

* the graph comes from ``torch.export`` (``torch.jit.trace`` breaks on RoPE shape arithmetic) with
  only the ``mobile_export`` Core ML decompositions applied: an fp16-safe exact RMSNorm (the
  converter's own lowering is 1.2e-3 off and NaN on zero rows) and per-head attention;
* the input is an RGB image (``ct.ImageType``, e.g. a CVPixelBuffer from the camera), so the
  ImageNormalizer sits in the graph: Core ML's image scale is one number for all channels and the
  official std differs per channel, hence mean/std as graph ops rather than ImageType bias/scale;
* fp16 compute by default (the Neural Engine and the GPU compute in fp16), fp32 on request;
* ``--attention tiled`` gives the Neural Engine layout: per head and per query tile, every score
  matrix is at most tile_size x tokens (``attention_layout`` records the bound);
* on Linux Core ML cannot predict: the fidelity figures come from the MIL runner
  (``fidelity_path`` in report.json) and the manifest marks the package unverified. On macOS the
  report also records Core ML's compute-unit plan (which device each op prefers).
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from sapiens2.models.outputs import INPUT_NAME
from sapiens2.compile.mobile_export import coreml_decompositions, export_program, fp32_rope_periods
from sapiens2.compile.options import CompileOptions
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.targets.base import ExportedArtifact

from .runtime import prediction_available
from .artifact import DEPLOYMENT_TARGET, PACKAGE, compute_precision

FIDELITY_PATHS = {True: "coreml", False: "mil-runner"}
# Ops an fp16 program keeps in fp32: the peak-row division of --decode (fp16 integers are exact only to 2048).
FP32_OPS = ("floor_div",)


def attention_layout(wrapper: ExportWrapper, options: CompileOptions) -> dict[str, Any]:
    """How attention is laid out in the program and the largest score matrix any op holds."""
    backbone = wrapper.model.backbone
    rows, cols = backbone.token_grid(options.input_size)
    tokens = rows * cols + backbone.num_extra_tokens
    if options.attention == "tiled":
        # Tiled mode folds a grouped-query layer's query groups into the rows: the tile bounds them all.
        groups = max(block.attn.num_heads // block.attn.num_kv_heads for block in backbone.blocks)
        score_rows = min(options.tile_size, groups * tokens)
    else:
        score_rows = tokens  # sdpa, and the global layers of windowed attention
    element_bytes = 2 if compute_precision(options.precision) == "fp16" else 4
    return {
        "attention": options.attention,
        "layout": "per head: softmax(q_h k_h^T) v_h on one (rows x keys) matrix, keys on the last axis",
        "tokens": tokens,
        "max_score_matrix": [score_rows, tokens],
        "max_score_matrix_bytes": score_rows * tokens * element_bytes,
        "tile_size": options.tile_size if options.attention == "tiled" else None,
    }


def program_ops(spec: Any) -> dict[str, int]:
    """MIL op types of the main function and their counts (constants included), most frequent first."""
    function = spec.mlProgram.functions["main"]
    block = function.block_specializations[function.opset]
    return dict(Counter(op.type for op in block.operations).most_common())


def compute_plan(package: Path) -> dict[str, Any]:
    """Core ML's device choice per op (macOS only): counts per preferred device, overall and per op type."""
    available, reason = prediction_available()
    if not available:
        return {"available": False, "reason": reason}
    import coremltools as ct
    from coremltools.models.compute_plan import MLComputePlan

    model = ct.models.MLModel(str(package), compute_units=ct.ComputeUnit.ALL)
    plan = MLComputePlan.load_from_path(model.get_compiled_model_path(), ct.ComputeUnit.ALL)
    devices: Counter[str] = Counter()
    by_op: dict[str, Counter[str]] = {}
    for operation in plan.model_structure.program.functions["main"].block.operations:
        usage = plan.get_compute_device_usage_for_mlprogram_operation(operation)
        if usage is None:  # constants are not scheduled
            continue
        device = type(usage.preferred_compute_device).__name__.removeprefix("ML").removesuffix("ComputeDevice")
        devices[device] += 1
        by_op.setdefault(operation.operator_name, Counter())[device] += 1
    return {
        "available": True,
        "compute_units": "ALL",
        "preferred_device": dict(devices),
        "by_op": {op: dict(c) for op, c in by_op.items()},
    }


@contextlib.contextmanager
def _quiet_converter() -> Iterator[None]:
    """coremltools draws progress bars and logs per pass on stderr; the compile's own progress display suffices."""
    logger = logging.getLogger("coremltools")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def _convert(wrapper: ExportWrapper, options: CompileOptions) -> Any:
    import coremltools as ct

    height, width = wrapper.input_size
    # The image arrives as float RGB pixels (1, 3, H, W): the same wrapper with the NCHW normaliser.
    image_wrapper = ExportWrapper(wrapper.model, wrapper.input_size, "NCHW", wrapper.decode).eval()
    with fp32_rope_periods(wrapper.model):
        program = export_program(image_wrapper, torch.zeros(1, 3, height, width), coreml_decompositions())
    with _quiet_converter():
        return ct.convert(
            program,
            inputs=[
                ct.ImageType(
                    name=INPUT_NAME,
                    shape=(1, 3, height, width),
                    color_layout=ct.colorlayout.RGB,
                    scale=1.0,
                    bias=[0.0] * 3,
                )
            ],
            outputs=[ct.TensorType(name=name) for name in wrapper.output_names],
            minimum_deployment_target=getattr(ct.target, DEPLOYMENT_TARGET),
            compute_precision=(
                ct.transform.FP16ComputePrecision(op_selector=lambda op: op.op_type not in FP32_OPS)
                if compute_precision(options.precision) == "fp16"
                else ct.precision.FLOAT32
            ),
            convert_to="mlprogram",
            skip_model_load=True,
        )


def export_artifact(wrapper: ExportWrapper, directory: Path, options: CompileOptions) -> ExportedArtifact:
    """Write ``model.mlpackage``; report its ops, compute plan (macOS), attention layout and fidelity path."""
    model = _convert(wrapper, options)
    model.save(str(directory / PACKAGE))
    files = sorted(str(path.relative_to(directory)) for path in (directory / PACKAGE).rglob("*") if path.is_file())
    runs_here, reason = prediction_available()
    report = {
        "fidelity_path": FIDELITY_PATHS[runs_here],
        "coreml": {
            "minimum_deployment_target": DEPLOYMENT_TARGET,
            "compute_precision": compute_precision(options.precision),
            "input": f"RGB image {wrapper.input_size[1]}x{wrapper.input_size[0]} (W x H), normalised in the graph",
            "ops": program_ops(model.get_spec()),
            "compute_plan": compute_plan(directory / PACKAGE),
        },
        "attention_layout": attention_layout(wrapper, options),
    }
    unverified = {} if runs_here else {PACKAGE: f"not run by Core ML: {reason}"}
    return ExportedArtifact(files, report, unverified)
