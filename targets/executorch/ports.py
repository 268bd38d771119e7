"""What an ExecuTorch program declares as its ``forward`` method's inputs and outputs (by position)."""

from __future__ import annotations

from pathlib import Path

from sapiens2.bundle import BundleError
from sapiens2.targets.declared_io import Port

from .runtime import METHOD

# ExecuTorch's scalar-type codes (c10::ScalarType) as numpy dtype names.
DTYPES = {0: "uint8", 1: "int8", 2: "int16", 3: "int32", 4: "int64", 5: "float16", 6: "float32", 7: "float64", 11: "bool"}


def declared_ports(path: Path) -> tuple[list[Port], list[Port]]:
    from executorch.runtime import Runtime

    try:
        meta = Runtime.get().load_program(path).metadata(METHOD)
    except (RuntimeError, ValueError) as error:
        raise BundleError(f"{path} is not a readable ExecuTorch program ({error}); compile the bundle again") from None

    def port(info: object) -> Port:
        code = int(info.dtype())
        if code not in DTYPES:
            raise BundleError(f"{path} declares a port of ExecuTorch scalar type {code}, which no Sapiens2 bundle has")
        return Port((), tuple(int(size) for size in info.sizes()), DTYPES[code])

    inputs = [port(meta.input_tensor_meta(index)) for index in range(meta.num_inputs())]
    return inputs, [port(meta.output_tensor_meta(index)) for index in range(meta.num_outputs())]
