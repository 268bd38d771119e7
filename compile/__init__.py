"""The target-neutral compile pipeline: checkpoint -> verified bundle for any registered target.

``compile_bundle(from_checkpoint(path), CompileOptions(target="onnx"), out)`` checks the request
against the target's capability table (``options``), wraps the unchanged model (``wrappers``),
has the target export it (``sapiens2.targets``), quantizes it for quantized precisions
(``quantization``), checks the artifact against PyTorch on real and random images (``verify``,
``fidelity``) and writes the bundle atomically. ``quantize_bundle`` (``derive``) makes a quantized
bundle from a float one. See ``compile/README.md`` for what compiling the large sizes (up to 5B) needs.
"""

from sapiens2.errors import CompileError, FidelityGateError

from .derive import quantize_bundle
from .options import (
    MIN_COSINE,
    MIN_LABEL_AGREEMENT,
    PRECISIONS,
    CompileOptions,
    check_capabilities,
    parse_input_size,
)
from .pipeline import (
    CompileResult,
    compile_bundle,
    from_checkpoint,
    from_random_weights,
)
from .wrappers import ExportWrapper, attention_mode

__all__ = [
    "MIN_COSINE",
    "MIN_LABEL_AGREEMENT",
    "PRECISIONS",
    "CompileError",
    "CompileOptions",
    "CompileResult",
    "ExportWrapper",
    "FidelityGateError",
    "attention_mode",
    "check_capabilities",
    "compile_bundle",
    "from_checkpoint",
    "from_random_weights",
    "parse_input_size",
    "quantize_bundle",
]
