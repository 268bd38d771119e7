"""ExecuTorch target: ``torch.export`` -> XNNPACK-lowered ``model.pte``, run by ExecuTorch's runtime.

Choices (docs/toolchain.md section 3, measured with the pinned versions):

* the graph is exported with the decompositions of ``mobile_export`` so that XNNPACK takes the
  whole network as one delegate (2.4x eager at 256x192, against 1.8x for the 86-delegate graph
  the plain export gives);
* ``placement`` counts delegated and portable operators into report.json, and the compile fails
  when network operators would fall back to portable kernels, unless ``--allow-portable``;
* fp16: the network runs as an fp16 copy between fp32 (or uint8) inputs and fp32 outputs, so the
  bundle's input/output contract does not change with the precision; bf16 is refused (XNNPACK
  has no bf16 kernels);
* the batch is fixed (XNNPACK reshapes take one dynamic dimension; toolchain.md trap 12);
* ``planned_memory_bytes`` is ExecuTorch's memory plan (the non-constant buffers of the execution
  plan). Activations inside an XNNPACK delegate, attention scores included, live in XNNPACK's own
  workspace and are not part of it;
* ``--also-partitioner coreml|vulkan|qnn`` lowers the same export for that delegate into
  ``model.<name>.pte`` when its partitioner works on Linux. Those programs cannot run here, so the
  manifest lists them as unverified.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from sapiens2.compile.mobile_export import coreml_decompositions, export_program, single_tile_attention, xnnpack_decompositions
from sapiens2.compile.options import CompileOptions
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.errors import CompileError
from sapiens2.targets.base import ExportedArtifact, ModuleTransform

from .placement import check_placement, placement_report
from .artifact import MODEL_FILE

PLANNED_MEMORY_NOTE = (
    "ExecuTorch memory plan: non-constant buffers outside delegates (inputs, outputs, portable-kernel activations); "
    "a delegate keeps its own activations, attention scores included, in its own workspace"
)


class HalfPrecisionNetwork(nn.Module):
    """An fp16 copy of the wrapper's network between its fp32/uint8 input steps and fp32 outputs."""

    def __init__(self, wrapper: ExportWrapper) -> None:
        super().__init__()
        self.normalizer = wrapper.normalizer
        # .half() after wrapping: the RoPE tables too, so that no fp16 <-> fp32 casts (not delegated) remain.
        self.network = ExportWrapper(copy.deepcopy(wrapper.model), wrapper.input_size, decode=wrapper.decode).half()

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = self.normalizer(image) if self.normalizer is not None else image
        return tuple(out.float() if out.is_floating_point() else out for out in self.network(x.half()))


def _xnnpack(options: CompileOptions) -> Any:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

    return XnnpackPartitioner()


def _coreml(options: CompileOptions) -> Any:
    import coremltools as ct
    from executorch.backends.apple.coreml.compiler import CoreMLBackend
    from executorch.backends.apple.coreml.partition import CoreMLPartitioner

    precision = ct.precision.FLOAT16 if options.precision == "fp16" else ct.precision.FLOAT32
    specs = CoreMLBackend.generate_compile_specs(minimum_deployment_target=ct.target.iOS17, compute_precision=precision)
    return CoreMLPartitioner(compile_specs=specs)


def _vulkan(options: CompileOptions) -> Any:
    from executorch.backends.vulkan.partitioner.vulkan_partitioner import VulkanPartitioner

    return VulkanPartitioner()


def _qnn(options: CompileOptions) -> Any:
    from executorch.backends.qualcomm.partition.qnn_partitioner import QnnPartitioner
    from executorch.backends.qualcomm.utils.utils import generate_htp_compiler_spec, generate_qnn_executorch_compiler_spec

    try:
        from executorch.backends.qualcomm.serialization.qc_schema import QcomChipset
    except ImportError:  # older layout
        from executorch.backends.qualcomm.serialization.qnn_compile_spec_schema import QcomChipset

    backend = generate_htp_compiler_spec(use_fp16=True)
    return QnnPartitioner(generate_qnn_executorch_compiler_spec(soc_model=QcomChipset.SM8650, backend_options=backend))


# name -> (partitioner factory, decompositions, why its program cannot be checked here)
PARTITIONERS: dict[str, tuple[Callable[[CompileOptions], Any], Callable[[], dict], str | None]] = {
    "xnnpack": (_xnnpack, xnnpack_decompositions, None),
    "coreml": (_coreml, coreml_decompositions, "the Core ML delegate runs only on Apple devices (ExecuTorch on iOS/macOS)"),
    "vulkan": (_vulkan, xnnpack_decompositions, "the Vulkan delegate needs an ExecuTorch runtime built with Vulkan and a GPU"),
    "qnn": (_qnn, xnnpack_decompositions, "the QNN delegate runs only on Qualcomm SoCs (HTP) through the QNN SDK"),
}
# Delegates that convert to fp16 themselves (compile spec): they get the fp32 graph.
OWN_PRECISION = ("coreml",)


def lower(
    module: nn.Module, example: torch.Tensor, partitioner: str, options: CompileOptions, quantize: ModuleTransform | None = None
) -> tuple[Any, dict[str, Any]]:
    """Export ``module`` and lower it with ``partitioner``: (ExecuTorch program manager, placement)."""
    from executorch.exir import to_edge_transform_and_lower

    make_partitioner, decompositions, _ = PARTITIONERS[partitioner]
    with single_tile_attention(module):
        # Quantized precisions: PT2E rewrites the module first (sapiens2.targets.executorch.quantizer).
        program = export_program(quantize(module, example) if quantize else module, example, decompositions())
    edge = to_edge_transform_and_lower(program, partitioner=[make_partitioner(options)])
    placement = placement_report(edge.exported_program())
    check_placement(placement, options.allow_portable, partitioner)
    return edge.to_executorch(), placement


def planned_memory(program: Any) -> dict[str, Any]:
    """The execution plan's non-constant buffer sizes (ExecuTorch memory planning), total and per buffer."""
    buffers = [int(size) for size in program.executorch_program.execution_plan[0].non_const_buffer_sizes]
    return {"planned_memory_bytes": sum(buffers), "planned_memory_buffers": buffers, "planned_memory_note": PLANNED_MEMORY_NOTE}


def _write(program: Any, path: Path) -> None:
    with path.open("wb") as file:
        program.write_to_file(file)


def export_artifact(
    wrapper: ExportWrapper, directory: Path, options: CompileOptions, quantize: ModuleTransform | None = None
) -> ExportedArtifact:
    """Write ``model.pte`` (XNNPACK) and any ``model.<partitioner>.pte`` requested; report placement and planned memory."""
    half = HalfPrecisionNetwork(wrapper) if options.precision == "fp16" else None
    example = wrapper.example_input()
    program, placement = lower(half or wrapper, example, "xnnpack", options, quantize)
    _write(program, directory / MODEL_FILE)
    report: dict[str, Any] = {"placement": {"partitioner": "xnnpack", **placement}, **planned_memory(program)}
    unverified = {}
    for name in options.also_partitioners:
        try:
            extra, extra_placement = lower(wrapper if name in OWN_PRECISION else half or wrapper, example, name, options)
        except ImportError as error:
            raise CompileError(f"--also-partitioner {name}: its ExecuTorch partitioner is not installed here ({error})") from None
        except CompileError:
            raise
        except Exception as error:  # the partitioner's own failure (missing SDK, unsupported op) is the user's answer
            raise CompileError(f"--also-partitioner {name} cannot lower this model on this machine: {type(error).__name__}: {error}") from None
        file = f"model.{name}.pte"
        _write(extra, directory / file)
        report.setdefault("also_lowered", {})[name] = {"file": file, "placement": extra_placement, **planned_memory(extra)}
        unverified[file] = f"not run: {PARTITIONERS[name][2]}"
    return ExportedArtifact(sorted(item.name for item in directory.iterdir()), report, unverified)
