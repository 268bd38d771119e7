"""What a benchmark produces: one ``RowResult`` per row, gathered in a ``BenchReport`` with its JSON form.

``BenchReport.to_dict`` is the one serialisation (``bench.json``, ``--json``); it is checked against
``BENCH_SCHEMA`` so that charts, docs and other tools can rely on its fields. A row that could not
run keeps whatever was known (artifact size and compile time of a bundle this machine cannot run,
say) and says why in ``reason``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from .matrix import RowSpec
from .timing import Timing

SCHEMA_VERSION = 1
STATUSES = ("ok", "unavailable", "failed")
# Where a row's fidelity comes from: measured in this run, or the bundle's compile report when the row cannot run here.
RECOMPUTED, REPORT_FIDELITY = "recomputed", "report.json"


@dataclass(frozen=True)
class Throughput:
    """Batch-``batch`` timings, alternated with the reference at the same batch."""

    batch: int
    timing: Timing
    speedup: float

    @property
    def images_per_s(self) -> float:
        return self.batch * 1000 / self.timing.median_ms


@dataclass(frozen=True)
class VideoThroughput:
    """Frames/s of one row on a clip: single-frame predict and the video path at ``batch`` frames per pass."""

    batch: int
    frames: int
    single_frame_fps: float
    video_path_fps: float

    @property
    def speedup(self) -> float:
        return self.video_path_fps / self.single_frame_fps

    def to_dict(self) -> dict[str, float | int]:
        return {
            "batch": self.batch,
            "frames": self.frames,
            "single_frame_fps": self.single_frame_fps,
            "video_path_fps": self.video_path_fps,
            "speedup": self.speedup,
        }


@dataclass
class RowResult:
    """One row's measurements; fields stay None where they do not apply or could not be measured."""

    spec: RowSpec
    status: str = "ok"
    reason: str | None = None
    runtime: str | None = None
    quantization: str | None = None  # the scheme of a quantized row (torchao, or the bundle's manifest)
    model: str | None = None
    bundle: str | None = None
    cached: bool | None = None
    latency: Timing | None = None
    reference_latency: Timing | None = None
    speedup: float | None = None
    throughput: Throughput | None = None
    throughput_note: str | None = None
    first_call_s: float | None = None
    peak_rss_bytes: int | None = None
    added_rss_bytes: int | None = None
    artifact_bytes: int | None = None
    compile_s: float | None = None
    fidelity: dict[str, float] | None = None
    fidelity_source: str | None = None
    report_fidelity: dict[str, Any] | None = None
    delegated_share: float | None = None
    placement: dict[str, Any] | None = None
    gflop: float | None = None  # the model's operations per image (2 per multiply-add), counted once per group
    achieved_gops: float | None = None  # gflop / median latency
    ceiling: str | None = None  # the best GEMM of the row's precision class on this CPU, e.g. "onnxruntime u8s8"
    ceiling_fraction: float | None = None  # achieved_gops / that ceiling's GOP/s
    video: VideoThroughput | None = None  # with --video: frames/s on the video path and of single-frame predict
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "task": spec.task,
            "input_size": list(spec.input_size),
            "target": spec.target,
            "precision": spec.precision,
            "attention": spec.attention,
            "label": spec.label,
            "reference": spec.is_reference,
            "status": self.status,
            "reason": self.reason,
            "runtime": self.runtime,
            "quantization": self.quantization,
            "model": self.model,
            "bundle": self.bundle,
            "cached": self.cached,
            "latency_ms": _timing(self.latency),
            "reference_latency_ms": _timing(self.reference_latency),
            "speedup": self.speedup,
            "throughput": None
            if self.throughput is None
            else {
                "batch": self.throughput.batch,
                "images_per_s": self.throughput.images_per_s,
                "speedup": self.throughput.speedup,
                "latency_ms": _timing(self.throughput.timing),
            },
            "throughput_note": self.throughput_note,
            "first_call_s": self.first_call_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "added_rss_bytes": self.added_rss_bytes,
            "artifact_bytes": self.artifact_bytes,
            "compile_s": self.compile_s,
            "fidelity": self.fidelity,
            "fidelity_source": self.fidelity_source,
            "report_fidelity": self.report_fidelity,
            "delegated_share": self.delegated_share,
            "placement": self.placement,
            "gflop": self.gflop,
            "achieved_gops": self.achieved_gops,
            "ceiling": self.ceiling,
            "ceiling_fraction": self.ceiling_fraction,
            "video": None if self.video is None else self.video.to_dict(),
            "warnings": list(self.warnings),
        }


def _timing(timing: Timing | None) -> dict[str, Any] | None:
    if timing is None:
        return None
    return {"median": timing.median_ms, "min": timing.min_ms, "max": timing.max_ms, "runs": list(timing.latencies_ms)}


@dataclass
class BenchReport:
    """Every row plus how they were measured (settings) and where (machine)."""

    settings: dict[str, Any]
    machine: dict[str, Any]
    created: str
    rows: list[RowResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "schema_version": SCHEMA_VERSION,
            "created": self.created,
            "settings": self.settings,
            "machine": self.machine,
            "rows": [row.to_dict() for row in self.rows],
        }
        validate_report(data)
        return data


def validate_report(data: Mapping[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` where ``data`` breaks ``BENCH_SCHEMA``."""
    Draft202012Validator(BENCH_SCHEMA).validate(data)


_NUMBER = {"type": "number"}
_OPTIONAL_NUMBER = {"type": ["number", "null"]}
_OPTIONAL_INT = {"type": ["integer", "null"]}
_OPTIONAL_STRING = {"type": ["string", "null"]}
_TIMING = {
    "type": ["object", "null"],
    "required": ["median", "min", "max", "runs"],
    "properties": {
        "median": _NUMBER,
        "min": _NUMBER,
        "max": _NUMBER,
        "runs": {"type": "array", "items": _NUMBER, "minItems": 1},
    },
}
_METRICS = {"type": ["object", "null"], "additionalProperties": _NUMBER}
_ROW_PROPERTIES: dict[str, Any] = {
    "task": {"type": "string"},
    "input_size": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
    "target": {"type": "string"},
    "precision": {"type": "string"},
    "attention": _OPTIONAL_STRING,
    "label": {"type": "string"},
    "reference": {"type": "boolean"},
    "status": {"enum": list(STATUSES)},
    "reason": _OPTIONAL_STRING,
    "runtime": _OPTIONAL_STRING,
    "quantization": _OPTIONAL_STRING,
    "model": _OPTIONAL_STRING,
    "bundle": _OPTIONAL_STRING,
    "cached": {"type": ["boolean", "null"]},
    "latency_ms": _TIMING,
    "reference_latency_ms": _TIMING,
    "speedup": _OPTIONAL_NUMBER,
    "throughput": {
        "type": ["object", "null"],
        "required": ["batch", "images_per_s", "speedup", "latency_ms"],
        "properties": {"batch": {"type": "integer", "minimum": 2}, "images_per_s": _NUMBER, "speedup": _NUMBER, "latency_ms": _TIMING},
    },
    "throughput_note": _OPTIONAL_STRING,
    "first_call_s": _OPTIONAL_NUMBER,
    "peak_rss_bytes": _OPTIONAL_INT,
    "added_rss_bytes": _OPTIONAL_INT,
    "artifact_bytes": _OPTIONAL_INT,
    "compile_s": _OPTIONAL_NUMBER,
    "fidelity": _METRICS,
    "fidelity_source": {"enum": [RECOMPUTED, REPORT_FIDELITY, None]},
    "report_fidelity": {"type": ["object", "null"]},
    "delegated_share": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    "placement": {"type": ["object", "null"]},
    "gflop": _OPTIONAL_NUMBER,
    "achieved_gops": _OPTIONAL_NUMBER,
    "ceiling": _OPTIONAL_STRING,
    "ceiling_fraction": {"type": ["number", "null"], "minimum": 0},
    "video": {
        "type": ["object", "null"],
        "required": ["batch", "frames", "single_frame_fps", "video_path_fps", "speedup"],
        "properties": {
            "batch": {"type": "integer", "minimum": 1},
            "frames": {"type": "integer", "minimum": 1},
            "single_frame_fps": {"type": "number", "exclusiveMinimum": 0},
            "video_path_fps": {"type": "number", "exclusiveMinimum": 0},
            "speedup": {"type": "number", "exclusiveMinimum": 0},
        },
    },
    "warnings": {"type": "array", "items": {"type": "string"}},
}
BENCH_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "sapiens2 bench report",
    "type": "object",
    "required": ["schema_version", "created", "settings", "machine", "rows"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "created": {"type": "string"},
        "settings": {
            "type": "object",
            "required": ["runs", "warmup", "batch", "threads", "ratio"],
            "properties": {
                "runs": {"type": "integer", "minimum": 1},
                "warmup": {"type": "integer", "minimum": 0},
                "batch": {"type": "integer", "minimum": 1},
                "threads": {"type": "integer", "minimum": 1},
                "ratio": {"type": "string"},
            },
        },
        "machine": {"type": "object"},
        "rows": {
            "type": "array",
            "items": {
                "type": "object",
                "required": list(_ROW_PROPERTIES),
                "additionalProperties": False,
                "properties": _ROW_PROPERTIES,
                "if": {"properties": {"status": {"const": "ok"}}},
                "then": {"properties": {"latency_ms": {"type": "object"}, "speedup": _NUMBER}},
                "else": {"properties": {"reason": {"type": "string"}}},
            },
        },
    },
}
