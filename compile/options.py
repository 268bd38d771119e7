"""What to compile: target, input size, precision, attention and the optional in-graph steps."""

from __future__ import annotations

from dataclasses import dataclass

from sapiens2.models import ATTENTION_KINDS

from sapiens2.errors import CompileError

TARGETS = ("onnx", "openvino", "executorch", "coreml")
QUANTIZED_PRECISIONS = ("int8", "int8-weights", "int4-weights")
PRECISIONS = ("fp32", "fp16", "bf16", *QUANTIZED_PRECISIONS)
DECODE_MODES = ("none", "only", "beside")
# How stride-2 transposed convs (the heads' upsampling) are exported: as they are, or as one plain conv over
# the four output phases (compile/phase_deconv.py). ONNX Runtime runs the 0.1b pose at 512x384 at 1.16-1.20x
# eager in the phase form against 1.04-1.11x native, and can int8-quantize it; OpenVINO runs both alike; the
# mobile delegates were not measured.
DECONV_FORMS = ("native", "phase")
DEFAULT_DECONV = {"onnx": "phase"}
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
# Quantized artifacts: the check above (random-noise inputs included) only catches a broken graph; their
# quality is judged on held-out real images against fp32 by the accuracy gate (sapiens2.quantize).
MIN_COSINE.update({"int8": 0.9, "int8-weights": 0.9, "int4-weights": 0.8})
MIN_LABEL_AGREEMENT.update({"int8": 0.5, "int8-weights": 0.5, "int4-weights": 0.3})
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
# Precision when none is asked for: Core ML computes in fp16 (what the Neural Engine and GPU run), others in fp32.
DEFAULT_PRECISION = {"coreml": "fp16"}
# Core ML bundles take a camera image: interleaved uint8 RGB, normalised in the graph.
IMAGE_INPUT_TARGETS = ("coreml",)


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

    ExecuTorch only: ``allow_portable`` accepts network operators left on portable CPU kernels
    (refused by default), ``also_partitioners`` also lowers for the ``coreml``/``vulkan``/``qnn``
    delegates (programs that cannot run here, marked unverified). Core ML always takes an image:
    ``in_graph_preprocess`` defaults to NHWC for it.
    """

    target: str = "onnx"
    input_size: tuple[int, int] = DEFAULT_INPUT_SIZE
    precision: str | None = None  # None: DEFAULT_PRECISION of the target, else fp32
    attention: str = "sdpa"
    tile_size: int = DEFAULT_TILE_SIZE
    window: int = DEFAULT_WINDOW
    in_graph_preprocess: str | None = None
    decode: str = "none"
    dynamic_batch: bool = False
    min_cosine: float | None = None
    threads: int = 2
    optimize_graph: bool = False
    calibration: str | None = None
    calibration_size: int = DEFAULT_CALIBRATION_SIZE
    float_budget: float = DEFAULT_FLOAT_BUDGET
    min_feature_cosine: float | None = None
    min_pck: float | None = None
    min_pixel_agreement: float | None = None
    min_miou: float | None = None
    allow_portable: bool = False
    also_partitioners: tuple[str, ...] = ()
    deconv: str | None = None  # None: DEFAULT_DECONV of the target, else native

    def __post_init__(self) -> None:
        _choice("target", self.target, TARGETS)
        if self.precision is None:
            object.__setattr__(self, "precision", DEFAULT_PRECISION.get(self.target, "fp32"))
        if self.target in IMAGE_INPUT_TARGETS and self.in_graph_preprocess is None:
            object.__setattr__(self, "in_graph_preprocess", "NHWC")
        if self.deconv is None:
            object.__setattr__(self, "deconv", DEFAULT_DECONV.get(self.target, "native"))
        _choice("precision", self.precision, PRECISIONS)
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
        if not self.quantized and (self.calibration is not None or self._accuracy_overrides()):
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
