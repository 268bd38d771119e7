"""The exported graph's weights, read one tensor at a time while the file is written.

torch's ONNX exporter writes every ``nn.Linear`` as ``MatMul(x, Transpose(W))``, and constant
folding (onnxscript) stores each ``W^T`` as a new numpy array while the torch parameter stays
alive: a second full copy of the weights until the file is saved (5.8 GB more for the 1B). Here
every weight initializer, and every transpose of one, becomes an ``onnx_ir.LazyTensor`` that
reads its tensor through ``read`` (the live model, or the checkpoint file for the streaming
export, ``sapiens2.compile.streaming``) only when ``onnx_ir.save`` writes it to the external data
file, one tensor at a time. The graph is the one folding would give: transposed weights stored
under the same names, so the runtimes load them as they are.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection

import numpy as np
import torch

with warnings.catch_warnings():  # onnx_ir imports sympy, whose import adds a process-wide warnings filter
    import onnx_ir as ir

TensorReader = Callable[[str], torch.Tensor]
# External data offsets aligned to 64 KiB: ONNX Runtime then memory-maps the file instead of copying it.
EXTERNAL_DATA_ALIGNMENT = 65536
LAZY = "sapiens2.lazy_weight"  # metadata key marking a lazily read initializer (never folded)


def attach_lazy_weights(model: ir.Model, names: Collection[str], read: TensorReader) -> set[str]:
    """Make the float32 initializers named in ``names`` (and their transposes) read through ``read``; returns their names."""
    graph = model.graph
    lazy = {name for name in names if name in graph.initializers and graph.initializers[name].dtype == ir.DataType.FLOAT}
    for name in lazy:
        value = graph.initializers[name]
        value.const_value = _lazy_tensor(value, lambda name=name: read(name))
        value.meta[LAZY] = name
    for node in list(graph):
        if node.op_type == "Transpose" and node.domain == "" and _single_lazy_input(node, lazy):
            _fold_transpose(graph, node, read)
    return lazy


def is_lazy(value: ir.Value | None) -> bool:
    return value is not None and LAZY in value.meta


def save_with_external_data(model: ir.Model, path: str) -> None:
    """Write ``path`` and ``<path>.data``, materialising each lazy tensor only while it is written."""
    location = f"{path.rsplit('/', 1)[-1]}.data"
    ir.save(model, path, external_data=location, alignment=EXTERNAL_DATA_ALIGNMENT)


def _single_lazy_input(node: ir.Node, lazy: set[str]) -> bool:
    source = node.inputs[0]
    return source is not None and source.name in lazy and source.is_initializer() and len(source.uses()) == 1


def _fold_transpose(graph: ir.Graph, node: ir.Node, read: TensorReader) -> None:
    """Replace ``Transpose(W)`` by an initializer that transposes ``W`` when written, under the output's name."""
    source, output = node.inputs[0], node.outputs[0]
    key = source.meta[LAZY]
    perm = tuple(node.attributes["perm"].as_ints()) if "perm" in node.attributes else tuple(reversed(range(len(source.shape))))
    shape = ir.Shape([source.shape[axis] for axis in perm])
    folded = ir.Value(name=f"{output.name}.lazy", shape=shape, type=ir.TensorType(ir.DataType.FLOAT))
    folded.const_value = ir.LazyTensor(lambda: _tensor(read(key).permute(perm)), ir.DataType.FLOAT, shape)
    folded.meta[LAZY] = key
    name = output.name
    output.replace_all_uses_with(folded, replace_graph_outputs=True)
    graph.remove(node, safe=True)
    graph.initializers.pop(source.name)
    graph.register_initializer(folded)
    folded.name = name


def _lazy_tensor(value: ir.Value, load: Callable[[], torch.Tensor]) -> ir.LazyTensor:
    return ir.LazyTensor(lambda: _tensor(load()), value.dtype, ir.Shape(value.shape))


def _tensor(tensor: torch.Tensor) -> ir.Tensor:
    return ir.Tensor(np.ascontiguousarray(tensor.detach().to(torch.float32).numpy()))
