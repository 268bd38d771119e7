"""What an OpenVINO IR artifact itself declares as its inputs and outputs (read without running it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sapiens2.bundle import BundleError
from sapiens2.targets.declared_io import Port


def declared_ports(path: Path) -> tuple[list[Port], list[Port]]:
    import openvino as ov

    try:
        model = ov.Core().read_model(str(path))
    except RuntimeError as error:
        raise BundleError(f"{path} is not a readable OpenVINO model ({str(error).splitlines()[0]}); compile the bundle again") from None

    def port(node: ov.Output) -> Port:
        shape = tuple(dim.get_length() if dim.is_static else None for dim in node.get_partial_shape())
        return Port(tuple(sorted(node.get_names())), shape, str(np.dtype(node.get_element_type().to_dtype())))

    return [port(node) for node in model.inputs], [port(node) for node in model.outputs]
