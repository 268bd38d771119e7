"""The manifest: everything a consumer needs to feed a bundle's artifact and read its outputs.

Python runtimes, the server and the mobile apps all read this one file: input size, layout, colour
order and normalisation, resize policy, output names/shapes/meanings, decoding parameters, labels,
precision, attention mode, runtime and checksums. ``to_dict``/``from_dict`` are the only
(de)serialisation; the JSON Schema in ``manifest.schema.json`` checks the dict form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
REPORT_NAME = "report.json"
RANDOM_WEIGHTS = "random-weights"

Shape = tuple[int | str, ...]


@dataclass(frozen=True)
class Normalization:
    """``(x - mean) / std`` per RGB channel on 0..255 pixels; ``in_graph`` when the artifact does it."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    in_graph: bool


@dataclass(frozen=True)
class InputSpec:
    """One artifact input; ``shape`` holds ``"batch"`` for a dynamic batch dimension."""

    name: str
    shape: Shape
    dtype: str
    layout: str
    color_order: str
    normalization: Normalization
    resize: dict[str, Any]


@dataclass(frozen=True)
class OutputSpec:
    """One artifact output and what its values mean."""

    name: str
    shape: Shape
    dtype: str
    meaning: str


@dataclass(frozen=True)
class ArtifactFile:
    """A file of the bundle with its SHA-256 and size, checked before any runtime loads it."""

    file: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class ModelSource:
    """Where the weights came from: a checkpoint (path + sha256) or seeded random weights."""

    kind: str
    path: str | None = None
    sha256: str | None = None
    seed: int | None = None

    @property
    def random_weights(self) -> bool:
        return self.kind == RANDOM_WEIGHTS


@dataclass(frozen=True)
class ExportSettings:
    """How the wrapper around the unchanged model was built (each option is one compile flag)."""

    input_size: tuple[int, int]
    attention: str
    tile_size: int | None
    window: int | None
    rope: str
    in_graph_preprocess: bool
    decode: str
    dynamic_batch: bool
    opset: int | None = None
    graph_optimizer: bool = False
    deconv: str = "native"  # "phase": stride-2 transposed convs exported as plain convs (older bundles omit it)


@dataclass(frozen=True)
class RuntimeInfo:
    """The runtime the artifact was verified with, and the settings it must be opened with."""

    name: str
    version: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Quantization:
    """How a quantized artifact was made, so that it can be reproduced and its limits known.

    ``kept_in_float`` names the layers (task-model module paths) the sensitivity scan kept in
    float; ``calibration`` is None for weight-only schemes that need no data.
    """

    scheme: str
    tool: str
    weights: str
    activations: str
    calibration: dict[str, Any] | None
    kept_in_float: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    task: str
    arch: str | dict[str, int]
    source: ModelSource
    target: str
    precision: str
    runtime: RuntimeInfo
    export: ExportSettings
    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...]
    decoding: dict[str, Any]
    labels: dict[str, Any] | None
    artifacts: tuple[ArtifactFile, ...]
    sdk_version: str
    created: str
    schema_version: int = SCHEMA_VERSION
    quantization: Quantization | None = None
    # Artifact files (or a directory of them, e.g. an .mlpackage) that could not be run where the bundle was
    # compiled, with the reason: an extra ExecuTorch delegate's .pte, or Core ML checked only at the MIL level.
    unverified: dict[str, str] = field(default_factory=dict)
    # The compile request itself (``CompileOptions.to_record``), read back by ``CompileOptions.from_record``:
    # how ``sapiens2 quantize`` and the bench re-create a bundle's options. Bundles of SDK 0.1.0 omit it.
    compile_options: dict[str, Any] = field(default_factory=dict)
    # Why ``--precision auto`` chose ``precision`` (compile/auto_precision.py); absent for an explicit precision.
    precision_choice: dict[str, Any] | None = None

    @property
    def random_weights(self) -> bool:
        return self.source.random_weights

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.inputs)

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.outputs)

    @property
    def artifact_bytes(self) -> int:
        return sum(artifact.bytes for artifact in self.artifacts)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; ``random_weights`` is written out so that no reader can miss it."""
        data = json.loads(json.dumps(asdict(self)))  # tuples -> lists, as a reader will see them
        data["random_weights"] = self.random_weights
        if self.quantization is None:
            del data["quantization"]  # float bundles read exactly as before the section existed
        if not self.unverified:
            del data["unverified"]  # likewise for bundles whose every artifact was run
        if not self.compile_options:
            del data["compile_options"]
        if self.precision_choice is None:
            del data["precision_choice"]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        """Inverse of ``to_dict`` for a dict that passed ``validate_manifest``."""
        return cls(
            task=data["task"],
            arch=data["arch"],
            source=ModelSource(**data["source"]),
            target=data["target"],
            precision=data["precision"],
            runtime=RuntimeInfo(**data["runtime"]),
            export=ExportSettings(**{**data["export"], "input_size": tuple(data["export"]["input_size"])}),
            inputs=tuple(_input_spec(item) for item in data["inputs"]),
            outputs=tuple(OutputSpec(**{**item, "shape": tuple(item["shape"])}) for item in data["outputs"]),
            decoding=dict(data["decoding"]),
            labels=data["labels"],
            artifacts=tuple(ArtifactFile(**item) for item in data["artifacts"]),
            sdk_version=data["sdk_version"],
            created=data["created"],
            schema_version=data["schema_version"],
            quantization=_quantization(data.get("quantization")),
            unverified=dict(data.get("unverified", {})),
            compile_options=dict(data.get("compile_options", {})),
            precision_choice=data.get("precision_choice"),
        )


def _quantization(item: Mapping[str, Any] | None) -> Quantization | None:
    return None if item is None else Quantization(**{**item, "kept_in_float": tuple(item["kept_in_float"])})


def _input_spec(item: Mapping[str, Any]) -> InputSpec:
    norm = item["normalization"]
    return InputSpec(
        **{
            **item,
            "shape": tuple(item["shape"]),
            "normalization": Normalization(tuple(norm["mean"]), tuple(norm["std"]), norm["in_graph"]),
        }
    )
