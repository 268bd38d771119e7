"""ExecuTorch quantization: PT2E with the XNNPACK quantizer, applied to an exported program before lowering.

``quantize_module(module, example, precision, calibration_inputs, kept)`` takes the module the
ExecuTorch backend exports (an ``ExportWrapper``) and returns its PT2E-converted graph (quantize /
dequantize pairs around the int8 layers), which the backend exports with its decompositions and
lowers to XNNPACK like the fp32 module. Schemes
(docs/toolchain.md, 0.1b: 4.7-6.2x eager fp32 through XNNPACK):

* ``int8``: static: int8 per-channel weights and calibrated int8 activations on linears and
  convolutions only. ``set_global`` would also quantize add/mul/cat and ruin fidelity (min token
  cosine 0.60).
* ``int8-weights``: dynamic: int8 per-channel weights, activations quantized at run time per
  call (``is_dynamic=True``); the best int8 fidelity measured (min token cosine 0.9956).
* ``int4-weights``: dynamic activations with 4-bit per-channel weights (XNNPACK's qc4w kernels).

Kept layers are filtered out of the quantizer by module path (the exported graph records each
node's module stack).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from sapiens2.bundle import Manifest
from torch import nn

WRAPPER_PREFIX = "model."  # ExportWrapper holds the task model as ``.model``
LAYER_TYPES = {"int8": (nn.Linear, nn.Conv2d), "int8-weights": (nn.Linear,), "int4-weights": (nn.Linear,)}
SCHEMES = {
    "int8": ("PT2E XNNPACK static", "int8 per output channel, symmetric", "int8 per tensor, calibrated"),
    "int8-weights": ("PT2E XNNPACK dynamic", "int8 per output channel, symmetric", "int8 per tensor, computed at run time"),
    "int4-weights": ("PT2E XNNPACK dynamic qc4w", "int4 per output channel, symmetric", "int8 per tensor, computed at run time"),
}


def tool() -> str:
    from executorch.version import __version__

    return f"executorch {__version__} XNNPACKQuantizer"


def xnnpack_quantizer(precision: str, kept: Iterable[str] = ()) -> object:
    """The XNNPACK quantizer for ``precision``, blind to the ``kept`` layers (task-model module paths)."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import XNNPACKQuantizer, get_symmetric_quantization_config
    from torchao.quantization.pt2e.quantizer import get_module_name_filter

    quantizer = XNNPACKQuantizer()
    if precision == "int8":
        config = get_symmetric_quantization_config(is_per_channel=True)
        quantizer.set_operator_type(torch.ops.aten.linear.default, config)
        quantizer.set_operator_type(torch.ops.aten.conv2d.default, config)
    else:  # dynamic activations: linears only (XNNPACK lowers neither dynamic nor 4-bit convolutions)
        bits = {"weight_qmin": -8, "weight_qmax": 7} if precision == "int4-weights" else {}
        config = get_symmetric_quantization_config(is_per_channel=True, is_dynamic=True, **bits)
        quantizer.set_operator_type(torch.ops.aten.linear.default, config)
    filters = [get_module_name_filter(WRAPPER_PREFIX + layer) for layer in kept]
    if filters:
        quantizer.set_filter_function(lambda node: not any(match(node) for match in filters))
    return quantizer


def quantize_module(
    module: nn.Module, example: torch.Tensor, precision: str, calibration_inputs: Sequence[np.ndarray], kept: Iterable[str] = ()
) -> nn.Module:
    """PT2E: export, prepare with the XNNPACK quantizer, calibrate, convert. The result exports and lowers like ``module``."""
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    program = torch.export.export(module, (example,), strict=False)
    prepared = prepare_pt2e(program.module(), xnnpack_quantizer(precision, kept))
    with torch.no_grad():
        for image in calibration_inputs:
            prepared(torch.from_numpy(image))
    return convert_pt2e(prepared)


class XnnpackQuantization:
    """The module transform the ExecuTorch backend applies before export; keeps the quantized graph for the gate."""

    def __init__(self, precision: str, calibration_inputs: Sequence[np.ndarray], kept: Iterable[str] = ()) -> None:
        self.precision = precision
        self.calibration_inputs = calibration_inputs
        self.kept = tuple(kept)
        self.converted: torch.fx.GraphModule | None = None

    def __call__(self, module: nn.Module, example: torch.Tensor) -> nn.Module:
        self.converted = quantize_module(module, example, self.precision, self.calibration_inputs, self.kept)
        return self.converted


def _head_input(graph: torch.fx.GraphModule) -> torch.fx.Node:
    """The node whose value the decode head's first layer reads (from the module stacks export records)."""
    for node in graph.graph.nodes:
        stack = node.meta.get("nn_module_stack") or {}
        if node.op == "call_function" and any(path.startswith(WRAPPER_PREFIX + "decode_head") for path, _ in stack.values()):
            return node.args[0]
    raise ValueError("no decode head found in the quantized graph")


def feature_runner(
    directory: Path, manifest: Manifest, converted: torch.fx.GraphModule, threads: int
) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
    """Outputs from the lowered ``.pte``; features from the same quantized graph before lowering (a program
    cannot expose intermediate values), evaluated in PyTorch with the quantize/dequantize ops XNNPACK fuses."""
    from sapiens2.targets.executorch.runtime import ExecuTorchRuntime

    program = ExecuTorchRuntime.load(directory, manifest, threads=threads)
    tap = _head_input(converted)

    class Capture(torch.fx.Interpreter):
        def run_node(self, node: torch.fx.Node) -> object:
            value = super().run_node(node)
            if node is tap:
                self.features = value
            return value

    def run(batch: np.ndarray) -> dict[str, np.ndarray]:
        capture = Capture(converted)
        with torch.no_grad():
            capture.run(torch.from_numpy(batch))
        return {**program.run({manifest.input_names[0]: batch}), "features": capture.features.numpy()}

    return run


def export_transform(precision: str, calibration_inputs: Sequence[np.ndarray], kept: Iterable[str] = ()) -> XnnpackQuantization:
    """The transform the exporter applies before lowering (this target quantizes during the export)."""
    return XnnpackQuantization(precision, calibration_inputs, kept)
