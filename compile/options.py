"""What to compile: target, input size, precision, attention, the optional in-graph steps and the gates.

``CompileOptions`` is the one declaration of every compile option: each field carries its CLI flag
(``Flag``: help, which commands take it; ``sapiens2.cli.option_flags`` builds the argparse flags
from it), whether only some targets accept it, and whether it describes the artifact (carried into
a bundle derived from this one). The options serialise themselves into the manifest
(``to_record``) and back (``from_record``). A request is checked against the target's capability
table by one generic function, ``check_capabilities``.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from sapiens2.errors import CompileError
from sapiens2.models import ATTENTION_KINDS
from sapiens2.targets.base import Capabilities
from sapiens2.targets.registry import compile_targets, get_target

QUANTIZED_PRECISIONS = ("int8", "int8-weights", "int4-weights")
PRECISIONS = ("fp32", "fp16", "bf16", *QUANTIZED_PRECISIONS)
AUTO_PRECISION = "auto"  # the fastest precision this CPU runs well that passes its gates (compile/auto_precision.py)
DECODE_MODES = ("none", "only", "beside")
# How stride-2 transposed convs (the heads' upsampling) are exported: as they are, or as one plain conv over
# the four output phases (compile/phase_deconv.py); each target's capability table names its default.
DECONV_FORMS = ("native", "phase")
PREPROCESS_LAYOUTS = ("NHWC", "NCHW")
DEFAULT_INPUT_SIZE = (1024, 768)
SIZE_MULTIPLE = 16
DEFAULT_TILE_SIZE = 512
DEFAULT_WINDOW = 16

# Fidelity gates (whole-tensor cosine vs the PyTorch reference). fp32 exports measured 1 - cos ~1e-12;
# fp16 ONNX 3.8e-7 and OpenVINO bf16 3.1e-5 on 0.1b output tokens (docs/toolchain.md), so 1e-3 leaves
# room for heads and trained-weight outliers while still catching a broken graph. Quantized artifacts: the
# check (random-noise inputs included) only catches a broken graph; their quality is judged on held-out
# real images against fp32 by the accuracy gate (sapiens2.quantize).
MIN_COSINE = {"fp32": 0.9999, "fp16": 0.999, "bf16": 0.999, "int8": 0.9, "int8-weights": 0.9, "int4-weights": 0.8}
# Share of pixels whose class must match for label outputs (argmax flips only at near-ties).
MIN_LABEL_AGREEMENT = {"fp32": 0.999, "fp16": 0.99, "bf16": 0.99, "int8": 0.5, "int8-weights": 0.5, "int4-weights": 0.3}
# Accuracy gate, quantized vs fp32 on held-out images: backbone-feature cosine, pose PCK@0.05 (keypoints
# within 5 % of the person box of the fp32 ones), seg pixel agreement and mIoU of the fp32 labels.
# int8 0.1b output tokens measured cosine 0.9988-0.9996 (docs/toolchain.md, random weights).
MIN_ACCURACY = {
    "int8": {"feature_cosine": 0.99, "pck": 0.9, "pixel_agreement": 0.95, "miou": 0.85},
    "int8-weights": {"feature_cosine": 0.995, "pck": 0.95, "pixel_agreement": 0.97, "miou": 0.9},
    "int4-weights": {"feature_cosine": 0.95, "pck": 0.75, "pixel_agreement": 0.85, "miou": 0.7},
}
DEFAULT_CALIBRATION_SIZE = 16  # NNCF needed 8+ images (docs/toolchain.md); pose counts person crops
DEFAULT_FLOAT_BUDGET = 0.1  # share of the quantizable weights the sensitivity scan may keep in float
COMPILE = frozenset({"compile"})
COMPILE_AND_QUANTIZE = frozenset({"compile", "quantize"})
COMPILE_QUANTIZE_BENCH = frozenset({"compile", "quantize", "bench"})
QUANTIZATION_GROUP = "quantization (--precision int8, int8-weights, int4-weights)"


@dataclass(frozen=True)
class Flag:
    """How a field appears on the command line: its help, the commands that take it, its help group, its
    name when not ``--<field-name>``, and further argparse keywords (``choices`` may be a function, called
    when the parser is built, so that targets registered later are offered)."""

    help: str
    commands: frozenset[str] = COMPILE
    group: str | None = None
    argparse: dict[str, Any] = field(default_factory=dict)
    name: str | None = None


def option(default: Any, flag: Flag | None, *, only_some_targets: bool = False, artifact: bool = True) -> Any:
    """A ``CompileOptions`` field. ``only_some_targets``: refused by targets whose capability table does not
    list it. ``artifact``: it describes the artifact (kept by a bundle derived from this one), else the request."""
    return field(default=default, metadata={"flag": flag, "only_some_targets": only_some_targets, "artifact": artifact})


def parse_input_size(text: str) -> tuple[int, int]:
    """``"1024x768"`` -> (1024, 768) as (height, width)."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        height, width = (int(part) for part in parts)
    except ValueError:
        raise CompileError(f"input size {text!r} must look like HEIGHTxWIDTH, e.g. 1024x768") from None
    return height, width


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class CompileOptions:
    """One compile request; every field is recorded in the manifest (``compile_options``)."""

    target: str = option("onnx", Flag("target to compile for", argparse={"required": True, "choices": compile_targets}))
    input_size: tuple[int, int] = option(  # (height, width), or the text "HEIGHTxWIDTH"
        DEFAULT_INPUT_SIZE, Flag("HEIGHTxWIDTH, multiples of 16 (default 1024x768)", argparse={"type": str})
    )
    precision: str | None = option(
        None,  # None: the target's default precision
        Flag(
            "fp32 (default; Core ML: fp16), fp16, bf16 (OpenVINO), or quantized: int8, int8-weights, int4-weights; "
            "auto: the fastest this CPU runs well that passes its gate (fp32 otherwise)",
            argparse={"choices": (*PRECISIONS, AUTO_PRECISION)},
        ),
    )
    attention: str = option(
        "sdpa", Flag("sdpa (reference), tiled (exact, less memory), windowed (approximate)", argparse={"choices": ATTENTION_KINDS})
    )
    tile_size: int = option(DEFAULT_TILE_SIZE, Flag(f"query tile of --attention tiled (default {DEFAULT_TILE_SIZE})"))
    window: int = option(DEFAULT_WINDOW, Flag(f"window (patches) of --attention windowed (default {DEFAULT_WINDOW})"))
    # The uint8 RGB layout the artifact takes, normalised in the graph; None: float32 normalised NCHW input.
    in_graph_preprocess: str | None = option(
        None,  # None: the target's default input layout
        Flag(
            "take uint8 RGB pixels (NHWC by default, or NCHW) and normalise inside the graph",
            argparse={"nargs": "?", "const": "NHWC", "choices": PREPROCESS_LAYOUTS},
        ),
    )
    # Task decoding in the graph: "only" replaces the raw outputs, "beside" keeps them too.
    decode: str = option(
        "none",
        Flag(
            "decode in the graph (seg: labels, pose: peaks + scores); 'beside' keeps the raw outputs too",
            argparse={"nargs": "?", "const": "only", "choices": ("only", "beside")},
        ),
    )
    dynamic_batch: bool = option(False, Flag("leave the batch dimension free"))
    min_cosine: float | None = option(
        None, Flag("fidelity gate (default 0.9999 for fp32, 0.999 for fp16/bf16)"), artifact=False
    )
    threads: int = option(
        2, Flag("threads of every runtime: the verification's, the bench's timed runs (default 2)", COMPILE_QUANTIZE_BENCH), artifact=False
    )
    # onnxscript's full optimizer instead of constant folding only: fewer nodes, the same ONNX Runtime latency
    # (ORT optimises at load; 0.1b pose at 256x192 timed alternately: no measurable difference) for +40 % export time.
    optimize_graph: bool = option(
        False, Flag("ONNX: tidy the graph with onnxscript's optimizer (slower export, same speed)"), only_some_targets=True
    )
    # Read the network's blocks from the checkpoint while the artifact is written and while the reference runs, never
    # holding them all (compile/streaming.py); also chosen on its own when the weights cannot be held twice.
    stream_weights: bool = option(
        False,
        Flag("ONNX/OpenVINO: stream the weights from a .safetensors checkpoint instead of loading them (models too large to hold twice)"),
        only_some_targets=True,
        artifact=False,
    )
    calibration: str | None = option(
        None,
        Flag(
            "images and/or videos of people to calibrate on (default: the sample images and video frames packaged with the SDK)",
            COMPILE_AND_QUANTIZE,
            QUANTIZATION_GROUP,
            {"metavar": "DIR_OR_VIDEO"},
        ),
        artifact=False,
    )
    calibration_size: int = option(
        DEFAULT_CALIBRATION_SIZE,
        Flag(
            f"model inputs to calibrate on; person crops for pose (default {DEFAULT_CALIBRATION_SIZE}; a source with fewer "
            "gives each of its inputs once)",
            COMPILE_AND_QUANTIZE,
            QUANTIZATION_GROUP,
            {"metavar": "N"},
        ),
        artifact=False,
    )
    float_budget: float = option(
        DEFAULT_FLOAT_BUDGET,
        Flag(
            f"share of the weights the sensitivity scan may keep in float (default {DEFAULT_FLOAT_BUDGET}; 0 skips the scan)",
            COMPILE_AND_QUANTIZE,
            QUANTIZATION_GROUP,
        ),
        artifact=False,
    )
    min_feature_cosine: float | None = option(
        None, Flag("accuracy gate: backbone-feature cosine vs fp32", COMPILE_AND_QUANTIZE, QUANTIZATION_GROUP), artifact=False
    )
    min_pck: float | None = option(
        None, Flag("accuracy gate (pose): PCK@0.05 against the fp32 keypoints", COMPILE_AND_QUANTIZE, QUANTIZATION_GROUP), artifact=False
    )
    min_pixel_agreement: float | None = option(
        None, Flag("accuracy gate (seg): share of pixels labelled as fp32", COMPILE_AND_QUANTIZE, QUANTIZATION_GROUP), artifact=False
    )
    min_miou: float | None = option(
        None, Flag("accuracy gate (seg): mIoU against the fp32 labels", COMPILE_AND_QUANTIZE, QUANTIZATION_GROUP), artifact=False
    )
    # ExecuTorch: accept network operators left on portable CPU kernels (refused by default).
    allow_portable: bool = option(
        False,
        Flag("ExecuTorch: accept network operators left on portable CPU kernels (refused by default: a silent slowdown on phones)"),
        only_some_targets=True,
    )
    # ExecuTorch: also lower for these delegates (programs that cannot run here, marked unverified).
    also_partitioners: tuple[str, ...] = option(
        (),
        Flag(
            "ExecuTorch: also write model.<name>.pte for this delegate: coreml, vulkan or qnn (repeatable; cannot run "
            "here, marked unverified)",
            argparse={"action": "append"},
            name="--also-partitioner",
        ),
        only_some_targets=True,
        artifact=False,
    )
    deconv: str | None = option(
        None,  # None: the target's default deconv form
        Flag(
            "export the heads' stride-2 transposed convs as they are, or as one plain conv over the four output phases "
            "(same function, faster in ONNX Runtime and int8-quantizable there); default: the target's (phase for onnx)",
            argparse={"choices": DECONV_FORMS},
        ),
    )

    def __post_init__(self) -> None:
        _choice("target", self.target, compile_targets())
        capabilities = get_target(self.target).capabilities
        if self.precision is None:
            object.__setattr__(self, "precision", capabilities.default_precision)
        if self.in_graph_preprocess is None:
            object.__setattr__(self, "in_graph_preprocess", capabilities.default_input_layout)
        if self.deconv is None:
            object.__setattr__(self, "deconv", capabilities.default_deconv)
        size = parse_input_size(self.input_size) if isinstance(self.input_size, str) else tuple(self.input_size)
        object.__setattr__(self, "input_size", size)
        object.__setattr__(self, "also_partitioners", tuple(dict.fromkeys(self.also_partitioners)))
        _choice("precision", self.precision, (*PRECISIONS, AUTO_PRECISION))
        _choice("deconv form", self.deconv, DECONV_FORMS)
        _choice("attention", self.attention, ATTENTION_KINDS)
        _choice("decode", self.decode, DECODE_MODES)
        if self.in_graph_preprocess is not None:
            _choice("in-graph pre-processing layout", self.in_graph_preprocess, PREPROCESS_LAYOUTS)
        height, width = self.input_size
        if height < SIZE_MULTIPLE or width < SIZE_MULTIPLE or height % SIZE_MULTIPLE or width % SIZE_MULTIPLE:
            raise CompileError(
                f"input size {height}x{width} must be positive multiples of {SIZE_MULTIPLE} (the patch size), e.g. 1024x768"
            )
        if self.tile_size < 1 or self.window < 1:
            raise CompileError(f"tile size and window must be positive, got {self.tile_size} and {self.window}")
        if self.min_cosine is not None and not 0.0 < self.min_cosine <= 1.0:
            raise CompileError(f"--min-cosine must be in (0, 1], got {self.min_cosine}")
        if self.threads < 1:
            raise CompileError(f"threads must be >= 1, got {self.threads}")
        if not self.quantized and self.precision != AUTO_PRECISION and (self.calibration is not None or self._accuracy_overrides()):
            raise CompileError(f"calibration and accuracy gates apply to --precision {'|'.join(QUANTIZED_PRECISIONS)}")
        if self.calibration_size < 1 or not 0.0 <= self.float_budget < 1.0:
            raise CompileError(f"calibration size must be >= 1 and the float budget in [0, 1), got {self.calibration_size}, {self.float_budget}")
        for name, value in self._accuracy_overrides().items():
            if not 0.0 <= value <= 1.0:
                raise CompileError(f"accuracy threshold {name} must be in [0, 1], got {value}")

    @property
    def cosine_threshold(self) -> float:
        return MIN_COSINE[self.precision] if self.min_cosine is None else self.min_cosine

    @property
    def label_agreement_threshold(self) -> float:
        return MIN_LABEL_AGREEMENT[self.precision]

    @property
    def quantized(self) -> bool:
        return self.precision in QUANTIZED_PRECISIONS

    @property
    def accuracy_thresholds(self) -> dict[str, float]:
        """The accuracy gate of a quantized precision, with this request's overrides."""
        return {**MIN_ACCURACY[self.precision], **self._accuracy_overrides()}

    def _accuracy_overrides(self) -> dict[str, float]:
        given = {"feature_cosine": self.min_feature_cosine, "pck": self.min_pck, "pixel_agreement": self.min_pixel_agreement, "miou": self.min_miou}
        return {name: value for name, value in given.items() if value is not None}

    def to_record(self) -> dict[str, Any]:
        """The JSON form the manifest records (``compile_options``)."""
        return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(self).items()}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> CompileOptions:
        """Inverse of ``to_record``."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(record) - known)
        if unknown:
            raise CompileError(f"compile options {unknown} are unknown to this SDK version: update sapiens2-sdk")
        return cls(**{name: _tuple(value) for name, value in record.items()})

    def derived(self, **changes: Any) -> CompileOptions:
        """These options with the request-only fields (gates, calibration, threads, extra delegates) back at their
        defaults and ``changes`` applied: the options of a bundle derived from this one's artifact."""
        reset = {item.name: _default(item) for item in fields(self) if not item.metadata["artifact"]}
        return replace(self, **{**reset, **changes})


def _default(item: Any) -> Any:
    return item.default if item.default is not MISSING else item.default_factory()


def target_specific_options() -> tuple[str, ...]:
    """The fields only some targets accept (each target's capability table lists those it takes)."""
    return tuple(item.name for item in fields(CompileOptions) if item.metadata["only_some_targets"])


def check_capabilities(options: CompileOptions, target: str, capabilities: Capabilities) -> None:
    """Refuse, with the target's reason where it gives one, any request outside its capability table."""

    def refuse(key: str, value: object, what: str) -> None:
        reason = capabilities.reasons.get(f"{key}={value}") or capabilities.reasons.get(key)
        raise CompileError(reason or f"--target {target} {what}")

    if options.precision not in capabilities.precisions:
        refuse("precision", options.precision, f"offers --precision {', '.join(capabilities.precisions)}, not {options.precision}")
    if options.attention not in capabilities.attention:
        refuse("attention", options.attention, f"offers --attention {', '.join(capabilities.attention)}, not {options.attention}")
    if options.in_graph_preprocess not in capabilities.input_layouts:
        layouts = ", ".join(layout or "float NCHW (no --in-graph-preprocess)" for layout in capabilities.input_layouts)
        refuse("in_graph_preprocess", options.in_graph_preprocess, f"takes {layouts} inputs, not {options.in_graph_preprocess}")
    if options.dynamic_batch and not capabilities.dynamic_batch:
        refuse("dynamic_batch", True, "has a fixed batch: drop --dynamic-batch")
    defaults = CompileOptions.__dataclass_fields__
    for name in target_specific_options():
        if name not in capabilities.options and getattr(options, name) != _default(defaults[name]):
            takers = [other for other in compile_targets() if name in get_target(other).capabilities.options]
            flag = "--" + name.replace("_", "-")
            refuse(name, getattr(options, name), f"does not accept {flag} (flags that belong to --target {' / '.join(takers)})")


def _choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise CompileError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
