"""Compile Sapiens2 task models into verified bundles for ONNX Runtime and OpenVINO.

``compile_bundle(from_checkpoint(path), CompileOptions(target="onnx"), out)`` wraps the unchanged
model (``wrappers``), exports it (``onnx``, ``openvino``), checks the artifact against PyTorch on
real and random images (``verify``, ``fidelity``) and writes the bundle atomically. See
``compile/README.md`` for what compiling the large sizes (up to 5B) needs.
"""

from sapiens2.errors import CompileError, FidelityGateError
from .options import (
    MIN_COSINE,
    MIN_LABEL_AGREEMENT,
    PRECISIONS,
    TARGETS,
    CompileOptions,
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
    "TARGETS",
    "CompileError",
    "CompileOptions",
    "CompileResult",
    "ExportWrapper",
    "FidelityGateError",
    "attention_mode",
    "compile_bundle",
    "from_checkpoint",
    "from_random_weights",
    "parse_input_size",
]
