"""A bundle's manifest against what its artifact itself declares: inputs, outputs, shapes, dtypes, target.

Checksums prove the artifact is the one the manifest was written for, not that the manifest tells
the truth about it: a hand-edited manifest that still passes the schema (another input size, an
output renamed, the wrong target) would feed the runtime wrongly shaped arrays or ask it for
outputs it lacks, and fail deep inside it. ``check_declared_io`` reads the artifact's own
signature (ONNX graph, OpenVINO IR) and refuses any disagreement when the bundle is opened.
Each target says which file is its artifact (``Target.artifact_suffixes``) and, where its format
can be read without running it, what that file declares (``Target.declared_ports``: ONNX graphs and
OpenVINO IRs); ExecuTorch and Core ML artifacts are checked for presence only (their signatures need
the runtime).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sapiens2.bundle import Bundle, BundleError

from .registry import get_target


@dataclass(frozen=True)
class Port:
    """One input or output as the artifact declares it (by all its names; none in formats whose ports are
    positional, e.g. ExecuTorch programs); None in ``shape`` is a dynamic dimension."""

    names: tuple[str, ...]
    shape: tuple[int | None, ...]
    dtype: str | None  # None: the format does not declare it in numpy's terms (Core ML multi-arrays)


def check_declared_io(bundle: Bundle) -> None:
    """Raise ``BundleError`` when the manifest's target, inputs or outputs disagree with the artifact."""
    manifest = bundle.manifest
    target = get_target(manifest.target)
    suffixes = target.artifact_suffixes
    # A Core ML package is a folder: its files are listed as model.mlpackage/Data/...
    files = [a.file for a in manifest.artifacts if any(part.endswith(suffixes) for part in a.file.split("/"))]
    if suffixes and not files:
        listed = ", ".join(a.file for a in manifest.artifacts)
        raise BundleError(
            f"{bundle.path}: the manifest says target {manifest.target!r} but lists no {'/'.join(suffixes)} artifact "
            f"({listed}); the manifest does not describe this bundle: compile it again"
        )
    _check_input_size(bundle)
    if not files:
        return
    # The artifact itself: a file, or the package folder a listed file lies in (model.mlpackage/...).
    parts = files[0].split("/")
    artifact = bundle.path.joinpath(*parts[: next(i for i, part in enumerate(parts) if part.endswith(suffixes)) + 1])
    declared = target.declared_ports(artifact)
    if declared is None:
        return
    inputs, outputs = declared
    _compare(bundle, "input", [(s.name, s.shape, s.dtype) for s in manifest.inputs], inputs)
    _compare(bundle, "output", [(s.name, s.shape, s.dtype) for s in manifest.outputs], outputs)


def _check_input_size(bundle: Bundle) -> None:
    """The export's (H, W), which pre-processing resizes to, must be the input's spatial dimensions."""
    spec, size = bundle.manifest.inputs[0], tuple(bundle.manifest.export.input_size)
    spatial = tuple(spec.shape[1:3] if spec.layout == "NHWC" else spec.shape[2:4])
    if spatial != size:
        raise _mismatch(bundle, f"input size {size[0]}x{size[1]}", f"an input {spec.name!r} of {spatial[0]}x{spatial[1]} pixels")


def _compare(bundle: Bundle, kind: str, recorded: Iterable[tuple[str, tuple, str]], declared: list[Port]) -> None:
    recorded = list(recorded)
    names = [name for name, _, _ in recorded]
    if declared and not any(port.names for port in declared):  # positional ports: the manifest's order names them
        declared = [Port((name,), port.shape, port.dtype) for name, port in zip(names, declared)] + declared[len(names) :]
    by_name = {name: port for port in declared for name in port.names}
    if len(names) != len(declared) or any(name not in by_name for name in names):
        raise _mismatch(bundle, f"{kind}s {names}", f"{kind}s {[port.names[0] for port in declared]}")
    for name, shape, dtype in recorded:
        port = by_name[name]
        if port.dtype is not None and np.dtype(dtype) != np.dtype(port.dtype):
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
