"""PyTorch eager quantization with torchao, in place: ``sapiens2.load(..., precision="int8")`` and the bench's torch rows.

There is no artifact: the fp32 model is built, then its linears are swapped for torchao tensors.

* ``int8``: ``Int8DynamicActivationInt8WeightConfig``: int8 weights per output channel, activations
  quantized per token at run time (1.8-2.4x eager fp32 on 0.1b, cosine 0.9995: docs/toolchain.md).
* ``int8-weights``: ``Int8WeightOnlyConfig``: a quarter of the linear weights' memory, no speed-up
  on CPU (0.93-0.99x).
* ``int4-weights`` is refused: torchao 0.18 has no packed int4 CPU layout; its CPU fallback stores
  the 4-bit values in int8 (no memory saved) and dequantizes every call.

Only linears are quantized (torchao's default); convolutions (patch embedding, heads) stay fp32.
No calibration and no sensitivity scan: loading a model stays one quick call. The kernels of these
configs are torchao's CPU ones, so the model runs on the CPU.
"""

from __future__ import annotations

import torch
from sapiens2.errors import UserError
from torch import nn

SCHEMES = {
    "int8": ("torchao Int8DynamicActivationInt8Weight", "int8 per output channel, symmetric", "int8 per token, computed at run time"),
    "int8-weights": ("torchao Int8WeightOnly", "int8 per output channel, symmetric", "float"),
}


def tool() -> str:
    import torchao

    return f"torchao {torchao.__version__} quantize_"


def check_precision(precision: str) -> None:
    """Refuse the 4-bit scheme, with its reason, before the model is built (other names are the caller's to check)."""
    if precision == "int4-weights":
        raise UserError(
            f"PyTorch (torchao) quantization offers {', '.join(SCHEMES)}: int4-weights has no packed int4 CPU kernel in "
            "torchao; compile a bundle instead (sapiens2 compile --target onnx|openvino|executorch --precision int4-weights)"
        )


def quantize_model(model: nn.Module, precision: str) -> nn.Module:
    """Quantize ``model``'s linears in place with torchao (the weights become torchao int8 tensors)."""
    if precision not in SCHEMES:
        check_precision(precision)
        raise UserError(f"PyTorch (torchao) quantization offers {', '.join(SCHEMES)}, not {precision}")
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, Int8WeightOnlyConfig, quantize_

    config = Int8DynamicActivationInt8WeightConfig() if precision == "int8" else Int8WeightOnlyConfig()
    quantize_(model, config)  # torchao's default filter: every nn.Linear
    return model


def stored_bytes(model: nn.Module) -> int:
    """Bytes the parameters take in memory: a torchao tensor's int8 data and scales, not the float size it reports."""
    from torch.utils._python_dispatch import is_traceable_wrapper_subclass

    def size(tensor: torch.Tensor) -> int:
        if is_traceable_wrapper_subclass(tensor):
            names, _ = tensor.__tensor_flatten__()
            return sum(size(getattr(tensor, name)) for name in names)
        return tensor.numel() * tensor.element_size()

    return sum(size(parameter) for parameter in model.parameters())
