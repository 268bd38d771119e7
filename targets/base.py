"""The one interface every target implements: a capability table, ``export``, ``quantizer`` and ``open``.

A target is one folder under ``targets/`` (``onnx``, ``openvino``, ``executorch``, ``coreml``,
``torch``) whose ``target.py`` declares a ``Target`` subclass; ``sapiens2.targets.registry`` maps
its name to it. The target-neutral pipeline (``sapiens2.compile``) only talks to this interface:
it checks a request against ``Target.capabilities`` (one generic check, see
``sapiens2.compile.options.check_capabilities``), calls ``export`` and, for quantized precisions,
the target's ``quantizer()``; ``sapiens2.load`` and ``open_bundle`` call ``open``.

``target.py`` modules stay cheap to import: exporters, quantizers and runtimes (and their
toolchains: onnx, openvino, executorch, coremltools, nncf, torchao) are imported by the methods
that need them.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from sapiens2.errors import RuntimeUnavailableError

if TYPE_CHECKING:  # the interface names the pipeline's types; importing them would make targets depend on compile
    from sapiens2.bundle import Bundle, Manifest
    from sapiens2.compile.options import CompileOptions
    from sapiens2.compile.wrappers import ExportWrapper
    from sapiens2.quantize.calibration import CalibrationSet
    from sapiens2.targets.declared_io import Port
    from sapiens2.targets.runtime import Runtime

ModuleTransform = Callable[[Any, Any], Any]  # (module, example input) -> the module to lower (ExecuTorch PT2E)
FeatureRunner = Callable[[np.ndarray], dict[str, np.ndarray]]
ATTENTION_MODES = ("sdpa", "tiled", "windowed")
FLOAT_INPUT = None  # ``input_layouts`` entry: float32 normalised NCHW (no pre-processing in the graph)


@dataclass(frozen=True)
class ExportedArtifact:
    """The files an exporter wrote, its sections for report.json, and the files nothing here could run.

    ``unverified`` maps an artifact file (or a directory of artifact files, e.g. an ``.mlpackage``)
    to why it was not run on this machine; the manifest records it.
    """

    files: list[str]
    report: dict[str, Any] = field(default_factory=dict)
    unverified: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Capabilities:
    """What a target accepts. A compile request outside it is refused before any slow work starts.

    ``precisions``: every precision it compiles to, float and quantized (empty: a runtime only,
    nothing compiles to it). ``options``: the target-specific ``CompileOptions`` fields it accepts
    (the fields that declare ``only_some_targets``); every other target refuses them when set.
    ``input_layouts``: ``FLOAT_INPUT`` and/or the in-graph uint8 layouts. ``reasons`` says why a
    refused value is refused and what to do, keyed ``"<field>=<value>"`` (or ``"<field>"``).
    ``auto_precisions``: the precisions ``--precision auto`` tries before fp32, fastest first, each with
    the CPU flags any one of which makes it fast.
    """

    precisions: tuple[str, ...] = ()
    default_precision: str = "fp32"
    attention: tuple[str, ...] = ATTENTION_MODES
    input_layouts: tuple[str | None, ...] = (FLOAT_INPUT, "NHWC", "NCHW")
    default_input_layout: str | None = FLOAT_INPUT
    dynamic_batch: bool = True
    options: frozenset[str] = frozenset()
    default_deconv: str = "native"
    quantize_during_export: bool = False  # True: the quantizer rewrites the module before lowering (PT2E)
    opset: int | None = None  # the ONNX opset, for formats that have one
    reasons: Mapping[str, str] = field(default_factory=dict)
    auto_precisions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def compiles(self) -> bool:
        return bool(self.precisions)


class Quantizer(Protocol):
    """A target's quantizer (its ``quantizer.py`` module): the tool that writes the quantized artifact.

    ``SCHEMES`` maps a precision to (scheme, weights, activations) as the manifest records them;
    ``LAYER_TYPES`` maps it to the module types the tool quantizes (the sensitivity scan's groups).
    After-export quantizers implement ``feature_tap`` and ``quantize_artifact``; a target whose
    capabilities say ``quantize_during_export`` implements ``export_transform`` instead.
    """

    SCHEMES: Mapping[str, tuple[str, str, str]]
    LAYER_TYPES: Mapping[str, tuple[type, ...]]

    def tool(self) -> str: ...

    def feature_tap(self, directory: Path) -> Any: ...

    def quantize_artifact(
        self, directory: Path, precision: str, calibration: CalibrationSet, kept: set[str], input_name: str
    ) -> list[str]: ...

    def export_transform(self, precision: str, calibration_inputs: Sequence[np.ndarray], kept: Iterable[str]) -> Any: ...

    def feature_runner(self, directory: Path, manifest: Manifest, tap: Any, threads: int) -> FeatureRunner: ...


class Target(ABC):
    """One deployment target: what it accepts, how it exports and quantizes, and how it runs a bundle.

    Subclasses set ``name``, ``capabilities`` and ``runtime`` (``"module:Class"`` of its ``Runtime``,
    imported on first use) and implement ``export``; ``quantizer`` when it has quantized precisions.
    """

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    runtime: ClassVar[str]
    toolchain: ClassVar[tuple[str, ...]] = ()  # the distributions that export, quantize and run it
    artifact_suffixes: ClassVar[tuple[str, ...]] = ()  # the artifact file (or package) a bundle of it must list

    def toolchain_versions(self) -> dict[str, str]:
        """The installed version of each toolchain distribution ("absent" where it is not installed)."""
        found = {}
        for name in self.toolchain:
            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = "absent"
        return found

    def check(self, options: CompileOptions) -> None:
        """Refuse what this machine cannot do for an otherwise accepted request (a missing tool or SDK)."""
        return None  # most targets need nothing beyond their capability table

    @abstractmethod
    def export(self, wrapper: ExportWrapper, directory: Path, options: CompileOptions, transform: ModuleTransform | None = None) -> ExportedArtifact:
        """Write the artifact of ``wrapper`` into ``directory`` (``transform``: the during-export quantization)."""

    def runtime_settings(self, options: CompileOptions) -> dict[str, object]:
        """Settings the runtime applies to a bundle compiled with ``options`` (recorded in the manifest)."""
        return {}

    def quantizer(self) -> Quantizer:
        """The tool behind the quantized precisions in ``capabilities.precisions``."""
        raise NotImplementedError(f"{self.name} has no quantizer")

    def declared_ports(self, artifact: Path) -> tuple[list[Port], list[Port]] | None:
        """The (inputs, outputs) ``artifact`` declares itself, for checking a manifest against it; None where
        the format cannot be read without its runtime."""
        return None

    def runtime_class(self) -> type[Runtime]:
        module_name, class_name = self.runtime.split(":")
        return getattr(importlib.import_module(module_name), class_name)

    def verifiable(self) -> tuple[bool, str]:
        """Whether this machine can run the artifact to verify it (else the bundle is marked unverified)."""
        return self.runtime_class().available()

    def open(self, bundle: Bundle, **options: Any) -> Runtime:
        """A ready runtime for a bundle already read (and verified) with ``read_bundle``."""
        cls = self.runtime_class()
        ok, reason = cls.available()
        if not ok:
            raise RuntimeUnavailableError(f"cannot open {bundle.path} with {cls.name}: {reason}")
        return cls.load(bundle.path, bundle.manifest, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
