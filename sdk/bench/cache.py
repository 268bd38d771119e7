"""Compiled bundles kept between benchmark runs, keyed by the weights and every compile option.

A bundle is reused only when the weights (checkpoint SHA-256, or random-weights arch + seed), the
``CompileOptions``, the SDK version, the target's toolchain versions (torch, onnx, openvino, ...)
and the SDK's export code (a hash of its source: the model, compile, quantize and the target's
folder) are the same and its artifacts still pass their checksums; anything else compiles afresh,
in a child process (``compile_process``), so a bundle made by an older exporter is never reused.
The default place is ``~/.cache/sapiens2/bundles``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sapiens2
import sapiens2.compile
import sapiens2.quantize
import sapiens2.targets
from sapiens2 import __version__
from sapiens2.bundle import Bundle, read_bundle
from sapiens2.compile import CompileOptions
from sapiens2.compile.pipeline import Progress
from sapiens2.errors import UserError
from sapiens2.targets import get_target

from .compile_process import compile_in_child
from .weights import Weights

DEFAULT_CACHE = Path("~/.cache/sapiens2/bundles")
KEY_CHARS = 16


def export_code_files(target: str) -> list[Path]:
    """The SDK source an artifact of ``target`` depends on: models, compile, quantize, the target interface and its folder."""
    roots = [
        Path(sapiens2.__file__).parent / "models",
        Path(sapiens2.compile.__file__).parent,
        Path(sapiens2.quantize.__file__).parent,
        Path(sapiens2.targets.__file__).parent / "base.py",
        Path(inspect.getfile(type(get_target(target)))).parent,
    ]
    return sorted({path for root in roots for path in ([root] if root.is_file() else root.rglob("*.py"))})


def files_digest(paths: list[Path]) -> str:
    """SHA-256 over the files' names and bytes, in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class CachedBundle:
    """A verified bundle and whether this run compiled it (False) or found it in the cache (True)."""

    bundle: Bundle
    cached: bool

    @property
    def report(self) -> dict[str, Any]:
        return self.bundle.report() or {}


class BundleCache:
    """``get(weights, options)``: the bundle for these weights and options, compiled on first use."""

    def __init__(self, root: str | Path = DEFAULT_CACHE) -> None:
        self.root = Path(root).expanduser()

    def key(self, weights: Weights, options: CompileOptions) -> str:
        target = get_target(options.target)
        record = {
            "sdk_version": __version__,
            "weights": weights.identity,
            "options": options.to_record(),
            "toolchain": target.toolchain_versions(),
            "export_code": files_digest(export_code_files(options.target)),
        }
        return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:KEY_CHARS]

    def path(self, weights: Weights, options: CompileOptions) -> Path:
        height, width = options.input_size
        batch = "-dynbatch" if options.dynamic_batch else ""
        name = f"{weights.task}-{options.target}-{options.precision}-{options.attention}-{height}x{width}{batch}"
        return self.root / f"{name}-{self.key(weights, options)}"

    def get(self, weights: Weights, options: CompileOptions, progress: Progress | None = None) -> CachedBundle:
        path = self.path(weights, options)
        if path.is_dir():
            try:
                return CachedBundle(read_bundle(path, verify=True), cached=True)
            except UserError:
                pass  # a damaged or half-deleted entry: compile it again below
        compile_in_child(weights, options, path, progress)
        return CachedBundle(read_bundle(path, verify=True), cached=False)
