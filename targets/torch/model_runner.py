"""PyTorch runtime for checkpoints: CPU in fp32, CUDA in bf16 when a GPU is present; torchao int8 on the CPU.

Unlike ``eager`` (which re-runs a bundle's export wrapper as a reference), this runs a task
model straight from a checkpoint with the official numerics (RoPE as the checkpoint stores it).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import torch

from sapiens2.errors import UserError
from sapiens2.models import Sapiens2TaskModel
from sapiens2.models.outputs import INPUT_NAME, name_outputs
from sapiens2.targets.torch import quantizer as torch_quantizer

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` -> the first CUDA GPU when there is one, else the CPU; other names are checked."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise UserError(f"device {device!r} was asked for but this machine has no CUDA GPU; use --device cpu")
    return resolved


def default_precision(device: torch.device) -> str:
    return "bf16" if device.type == "cuda" else "fp32"


def check_precision(precision: str, device: torch.device) -> None:
    """Refuse a precision this runtime cannot run on ``device``, saying what to use instead."""
    torch_quantizer.check_precision(precision)
    if precision in torch_quantizer.SCHEMES:
        if device.type != "cpu":
            raise UserError(f"precision {precision} runs torchao's CPU kernels: use device='cpu' (--device cpu), or bf16 on {device}")
    elif precision not in DTYPES:
        raise UserError(f"precision must be one of {', '.join([*DTYPES, *torch_quantizer.SCHEMES])}, got {precision!r}")


class TorchModelRunner:
    """Callable ``{"image": float32 NCHW} -> {output name: float32 array}`` around a task model.

    Quantized precisions keep the model in fp32 and swap its linears for torchao int8 ones
    (``sapiens2.targets.torch.quantizer``); ``quantization`` then names the scheme, else it is None.
    """

    name = "torch"

    def __init__(self, model: Sapiens2TaskModel, device: str = "auto", precision: str | None = None) -> None:
        self.device = resolve_device(device)
        self.precision = precision or default_precision(self.device)
        check_precision(self.precision, self.device)
        self.dtype = DTYPES.get(self.precision, torch.float32)
        self.task = model.task
        self.model = model.to(device=self.device, dtype=self.dtype).eval()
        self.quantization = None
        if self.precision in torch_quantizer.SCHEMES:
            torch_quantizer.quantize_model(self.model, self.precision)
            self.quantization = torch_quantizer.SCHEMES[self.precision][0]

    @torch.inference_mode()
    def __call__(self, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        x = torch.from_numpy(np.ascontiguousarray(batch[INPUT_NAME]))
        if self.device.type == "cuda":
            x = x.pin_memory()  # page-locked: the upload is one DMA that can overlap other work
        x = x.to(self.device, self.dtype, non_blocking=True)
        outputs = name_outputs(self.task, self.model(x))
        return {name: value.float().cpu().numpy() for name, value in outputs.items()}
