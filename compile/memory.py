"""Refuse a compile whose weights cannot fit in this machine's memory, before the export starts.

An out-of-memory kill ends a compile with no message at all, after minutes of work. Weights are
what a compile cannot do without, so they make a lower bound. Verification opens the artifact in
its runtime with a second copy of the weights (at the artifact's precision; quantizers first read
the fp32 artifact). A float compile frees the PyTorch weights before the runtime loads
(``streaming.release_weights``), so the runtime's copy may take their place; a quantized one keeps
the PyTorch model for its accuracy gate, so the copy must fit beside it. The check runs once the
model is loaded; a model with streamed weights is checked by ``streaming.check_streaming_room``.
compile/README.md's memory section says what the large sizes need.
"""

from __future__ import annotations

from sapiens2.limits import MEMINFO, available_bytes  # noqa: F401 (MEMINFO: re-exported for the tests)
from sapiens2.models import Sapiens2TaskModel

from sapiens2.errors import CompileError
from .options import CompileOptions

# Bytes per parameter of the runtime's copy: float artifacts at their precision, quantized ones
# as the fp32 artifact their tool starts from.
RUNTIME_BYTES_PER_PARAMETER = {"fp32": 4, "fp16": 2, "bf16": 2}
FP32_BYTES = 4
GB = 1e9


def runtime_copy_bytes(parameters: int, options: CompileOptions) -> int:
    """Bytes of the weights the target's runtime (or quantizer) holds beside the loaded model."""
    return parameters * (FP32_BYTES if options.quantized else RUNTIME_BYTES_PER_PARAMETER[options.precision])


def check_memory(model: Sapiens2TaskModel, options: CompileOptions, available: int | None = None) -> None:
    """Raise CompileError when the runtime's copy of the weights cannot fit in ``available`` bytes (default: this
    machine's now) plus, for a float compile, the PyTorch weights it replaces."""
    available = available_bytes() if available is None else available
    if available is None:
        return
    parameters = sum(p.numel() for p in model.parameters())
    needed = runtime_copy_bytes(parameters, options)
    freed = 0 if options.quantized else FP32_BYTES * parameters
    if needed > available + freed:
        beside = "beside" if options.quantized else "after freeing"
        raise CompileError(
            f"not enough memory to compile this {parameters / 1e9:.2f}B-parameter model for {options.target} "
            f"{options.precision}: verifying opens the artifact with {needed / GB:.1f} GB of weights {beside} the "
            f"{FP32_BYTES * parameters / GB:.1f} GB PyTorch model already loaded, and {available / GB:.1f} GB is left "
            "(free RAM + swap). From a .safetensors checkpoint, --stream-weights keeps the PyTorch weights on disk; "
            "otherwise use a machine with more memory: compile/README.md, 'Memory: compiling the large sizes', lists "
            "what each size needs"
        )
