"""A bundle's manifest against what its artifact itself declares: inputs, outputs, shapes, dtypes, target.

Checksums prove the artifact is the one the manifest was written for, not that the manifest tells
the truth about it: a hand-edited manifest that still passes the schema (another input size, an
output renamed, the wrong target) would feed the runtime wrongly shaped arrays or ask it for
outputs it lacks, and fail deep inside it. ``check_declared_io`` reads the artifact's own
signature (ONNX graph, OpenVINO IR) and refuses any disagreement when the bundle is opened.
ExecuTorch and Core ML artifacts are checked for presence only: their signatures need the runtime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sapiens2.bundle import Bundle, BundleError

# The file (suffix) each target's artifact must include.
ARTIFACT_SUFFIXES = {"onnx": (".onnx",), "openvino": (".xml",), "executorch": (".pte",), "coreml": (".mlpackage", ".mlmodel")}


@dataclass(frozen=True)
class Port:
    """One input or output as the artifact declares it (by all its names); None in ``shape`` is a dynamic dimension."""

    names: tuple[str, ...]
    shape: tuple[int | None, ...]
    dtype: str


def check_declared_io(bundle: Bundle) -> None:
    """Raise ``BundleError`` when the manifest's target, inputs or outputs disagree with the artifact."""
    manifest = bundle.manifest
    suffixes = ARTIFACT_SUFFIXES.get(manifest.target, ())
    # A Core ML package is a folder: its files are listed as model.mlpackage/Data/...
    files = [a.file for a in manifest.artifacts if any(part.endswith(suffixes) for part in a.file.split("/"))]
    if suffixes and not files:
        listed = ", ".join(a.file for a in manifest.artifacts)
        raise BundleError(
            f"{bundle.path}: the manifest says target {manifest.target!r} but lists no {'/'.join(suffixes)} artifact "
            f"({listed}); the manifest does not describe this bundle: compile it again"
        )
    _check_input_size(bundle)
    reader = READERS.get(manifest.target)
    if reader is None:
        return
    inputs, outputs = reader(bundle.path / files[0])
    _compare(bundle, "input", [(s.name, s.shape, s.dtype) for s in manifest.inputs], inputs)
    _compare(bundle, "output", [(s.name, s.shape, s.dtype) for s in manifest.outputs], outputs)


def _check_input_size(bundle: Bundle) -> None:
    """The export's (H, W), which pre-processing resizes to, must be the input's spatial dimensions."""
    spec, size = bundle.manifest.inputs[0], tuple(bundle.manifest.export.input_size)
    spatial = tuple(spec.shape[1:3] if spec.layout == "NHWC" else spec.shape[2:4])
    if spatial != size:
        raise _mismatch(bundle, f"input size {size[0]}x{size[1]}", f"an input {spec.name!r} of {spatial[0]}x{spatial[1]} pixels")


def _compare(bundle: Bundle, kind: str, recorded: Iterable[tuple[str, tuple, str]], declared: list[Port]) -> None:
    by_name = {name: port for port in declared for name in port.names}
    recorded = list(recorded)
    names = [name for name, _, _ in recorded]
    if len(names) != len(declared) or any(name not in by_name for name in names):
        raise _mismatch(bundle, f"{kind}s {names}", f"{kind}s {[port.names[0] for port in declared]}")
    for name, shape, dtype in recorded:
        port = by_name[name]
        if np.dtype(dtype) != np.dtype(port.dtype):
            raise _mismatch(bundle, f"{kind} {name!r} as {dtype}", port.dtype)
        if not _same_shape(shape, port.shape):
            raise _mismatch(bundle, f"{kind} {name!r} with shape {list(shape)}", f"shape {list(port.shape)}")


def _same_shape(recorded: tuple, declared: tuple[int | None, ...]) -> bool:
    """Same rank, and every dimension both fix is equal (``"batch"`` or a dynamic one matches anything)."""
    if len(recorded) != len(declared):
        return False
    return all(not isinstance(r, int) or d is None or r == d for r, d in zip(recorded, declared))


def _mismatch(bundle: Bundle, manifest_says: str, artifact_says: str) -> BundleError:
    return BundleError(
        f"{bundle.path}: the manifest records {manifest_says} but the artifact (or its input spec) declares {artifact_says}; "
        "the manifest was edited or belongs to another artifact: compile the bundle again"
    )


def _onnx_ports(path: Path) -> tuple[list[Port], list[Port]]:
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


def _openvino_ports(path: Path) -> tuple[list[Port], list[Port]]:
    import openvino as ov

    try:
        model = ov.Core().read_model(str(path))
    except RuntimeError as error:
        raise BundleError(f"{path} is not a readable OpenVINO model ({str(error).splitlines()[0]}); compile the bundle again") from None

    def port(node: ov.Output) -> Port:
        shape = tuple(dim.get_length() if dim.is_static else None for dim in node.get_partial_shape())
        return Port(tuple(sorted(node.get_names())), shape, str(np.dtype(node.get_element_type().to_dtype())))

    return [port(node) for node in model.inputs], [port(node) for node in model.outputs]


READERS = {"onnx": _onnx_ports, "openvino": _openvino_ports}
