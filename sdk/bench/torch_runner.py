"""PyTorch rows: the eager reference with the official numerics, other attention modes, torch.compile.

All of them run one ``ExportWrapper`` around one model, so they share its weights: the attention
mode is switched around each call (``attention_mode`` only flips how blocks attend) and
``torch.compile`` wraps the same module. ``fixed_rope=False``: the model computes RoPE itself, in
bf16 as the official code does; bundles use fp32 RoPE tables, so their distance to this reference
includes that (documented, ~1e-3 relative on trained weights) difference.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from sapiens2.compile import ExportWrapper, attention_mode
from sapiens2.compile.options import DEFAULT_TILE_SIZE, DEFAULT_WINDOW
from sapiens2.models import Sapiens2TaskModel

from .matrix import REFERENCE_ATTENTION, TORCH, TORCH_COMPILE


def official_wrapper(
    model: Sapiens2TaskModel, input_size: tuple[int, int], preprocess: str | None = None, decode: str = "none"
) -> ExportWrapper:
    """The model at ``input_size`` with its own (bf16) RoPE: the reference every row is timed against."""
    return ExportWrapper(model, input_size, preprocess, decode, fixed_rope=False).eval()


class ModuleRunner:
    """``run({input: array}) -> {output: array}`` for a wrapper, eager or compiled, in one attention mode."""

    def __init__(
        self,
        wrapper: ExportWrapper,
        attention: str = REFERENCE_ATTENTION,
        compiled: bool = False,
        tile_size: int = DEFAULT_TILE_SIZE,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        self.wrapper = wrapper
        self.attention = (attention, tile_size, window)
        self.module = torch.compile(wrapper) if compiled else wrapper
        self.name = TORCH_COMPILE if compiled else TORCH

    @torch.inference_mode()
    def run(self, batch: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        inputs = (torch.from_numpy(np.ascontiguousarray(batch[name])) for name in self.wrapper.input_names)
        with attention_mode(self.wrapper.model, *self.attention):
            outputs = self.module(*inputs)
        return {name: output.numpy() for name, output in zip(self.wrapper.output_names, outputs)}
