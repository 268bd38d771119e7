"""What to compile: target, input size, precision, attention and the optional in-graph steps."""

from __future__ import annotations

from dataclasses import dataclass

from sapiens2.models import ATTENTION_KINDS

from .errors import CompileError

TARGETS = ("onnx", "openvino")
PRECISIONS = ("fp32", "fp16", "bf16")
DECODE_MODES = ("none", "only", "beside")
PREPROCESS_LAYOUTS = ("NHWC", "NCHW")
DEFAULT_INPUT_SIZE = (1024, 768)
SIZE_MULTIPLE = 16
DEFAULT_TILE_SIZE = 512
DEFAULT_WINDOW = 16

# Fidelity gates (whole-tensor cosine vs the PyTorch reference). fp32 exports measured 1 - cos ~1e-12;
# fp16 ONNX 3.8e-7 and OpenVINO bf16 3.1e-5 on 0.1b output tokens (docs/toolchain.md), so 1e-3 leaves
# room for heads and trained-weight outliers while still catching a broken graph.
MIN_COSINE = {"fp32": 0.9999, "fp16": 0.999, "bf16": 0.999}
# Share of pixels whose class must match for label outputs (argmax flips only at near-ties).
MIN_LABEL_AGREEMENT = {"fp32": 0.999, "fp16": 0.99, "bf16": 0.99}


@dataclass(frozen=True)
class CompileOptions:
    """One compile request; every field ends up in the manifest.

    ``in_graph_preprocess`` is the uint8 RGB layout the artifact accepts (``"NHWC"``/``"NCHW"``) or
    None for float32 normalised NCHW input. ``decode`` adds task decoding to the graph: ``"only"``
    replaces the raw outputs, ``"beside"`` keeps them too. ``min_cosine`` overrides the gate.
    ``optimize_graph`` runs onnxscript's full optimizer on ONNX exports instead of constant folding
    only: fewer nodes, but the same ONNX Runtime latency (ORT optimises at load; 0.1b pose at
    256x192 timed alternately: no measurable difference, outputs equal to 1e-6) for +40 % export
    time, hence off by default.
    """

    target: str = "onnx"
    input_size: tuple[int, int] = DEFAULT_INPUT_SIZE
    precision: str = "fp32"
    attention: str = "sdpa"
    tile_size: int = DEFAULT_TILE_SIZE
    window: int = DEFAULT_WINDOW
    in_graph_preprocess: str | None = None
    decode: str = "none"
    dynamic_batch: bool = False
    min_cosine: float | None = None
    threads: int = 2
    optimize_graph: bool = False

    def __post_init__(self) -> None:
        _choice("target", self.target, TARGETS)
        _choice("precision", self.precision, PRECISIONS)
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

    @property
    def cosine_threshold(self) -> float:
        return MIN_COSINE[self.precision] if self.min_cosine is None else self.min_cosine

    @property
    def label_agreement_threshold(self) -> float:
        return MIN_LABEL_AGREEMENT[self.precision]


def parse_input_size(text: str) -> tuple[int, int]:
    """``"1024x768"`` -> (1024, 768) as (height, width)."""
    parts = text.lower().replace("*", "x").split("x")
    try:
        height, width = (int(part) for part in parts)
    except ValueError:
        raise CompileError(f"input size {text!r} must look like HEIGHTxWIDTH, e.g. 1024x768") from None
    return height, width


def _choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise CompileError(f"unknown {what} {value!r}; choose one of {', '.join(choices)}")
