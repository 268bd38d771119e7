"""What an ONNX artifact itself declares as its inputs and outputs (read without running it)."""

from __future__ import annotations

from pathlib import Path

from sapiens2.bundle import BundleError
from sapiens2.targets.declared_io import Port


def declared_ports(path: Path) -> tuple[list[Port], list[Port]]:
    import onnx
    from onnx.helper import tensor_dtype_to_np_dtype

    try:
        graph = onnx.load(str(path), load_external_data=False).graph
    except Exception as error:  # onnx raises DecodeError, ValueError ... for a damaged file
        raise BundleError(f"{path} is not a readable ONNX model ({error}); compile the bundle again") from None
    initializers = {init.name for init in graph.initializer}

    def port(value: onnx.ValueInfoProto) -> Port:
        tensor = value.type.tensor_type
        shape = tuple(dim.dim_value if dim.HasField("dim_value") else None for dim in tensor.shape.dim)
        return Port((value.name,), shape, str(tensor_dtype_to_np_dtype(tensor.elem_type)))

    return [port(v) for v in graph.input if v.name not in initializers], [port(v) for v in graph.output]
