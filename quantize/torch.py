"""PyTorch eager quantization with torchao (in place, no artifact): ``quantize_model(model, "int8")``.

* ``int8``: ``Int8DynamicActivationInt8WeightConfig``: int8 weights per output channel, activations
  quantized per token at run time (1.8-2.4x eager fp32 on 0.1b, cosine 0.9995: docs/toolchain.md).
* ``int8-weights``: ``Int8WeightOnlyConfig``: a quarter of the linear weights' memory, no speed-up
  on CPU (0.93-0.99x).
* ``int4-weights`` is refused: torchao 0.18 has no packed int4 CPU layout; its CPU fallback stores
  the 4-bit values in int8 (no memory saved) and dequantizes every call.

Only linears are quantized (torchao's default); convolutions (patch embedding, heads) and every
layer in ``kept`` stay fp32.
"""

from __future__ import annotations

from collections.abc import Iterable

from sapiens2.compile.errors import CompileError
from torch import nn

LAYER_TYPES = dict.fromkeys(("int8", "int8-weights"), (nn.Linear,))
SCHEMES = {
    "int8": ("torchao Int8DynamicActivationInt8Weight", "int8 per output channel, symmetric", "int8 per token, computed at run time"),
    "int8-weights": ("torchao Int8WeightOnly", "int8 per output channel, symmetric", "float"),
}


def quantize_model(model: nn.Module, precision: str, kept: Iterable[str] = ()) -> nn.Module:
    """Quantize ``model``'s linears in place (names in ``kept``, module paths in ``model``, stay fp32)."""
    if precision not in SCHEMES:
        raise CompileError(f"PyTorch (torchao) quantization offers {', '.join(SCHEMES)}; {precision} has no CPU kernel here")
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig, quantize_

    config = Int8DynamicActivationInt8WeightConfig() if precision == "int8" else Int8WeightOnlyConfig()
    skip = set(kept)
    quantize_(model, config, filter_fn=lambda module, name: isinstance(module, nn.Linear) and name not in skip)
    return model
