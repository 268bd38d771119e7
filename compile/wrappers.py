"""Export wrappers: small modules AROUND the unchanged task model (never a fork of it).

``ExportWrapper`` fixes what a deployable graph needs fixed:

* the input size, with RoPE sin/cos precomputed for it and stored as constant non-persistent
  buffers (``backbone.rope_tables(size, float32)``). The table values are the ones the official
  model computes (bf16 arithmetic, cast to fp32), but the q/k rotation then runs in fp32, whereas
  the official model rounds q and k to bf16 first; on trained weights the outputs differ by about
  1e-3 relative. fp32 rotation is the more exact computation and the only one ONNX Runtime and
  Core ML can run (they have no bf16 kernels), so every artifact uses it; reports give the distance
  to the official numerics as ``vs_official``.
* optional in-graph pre-processing: uint8 RGB pixels in (NHWC or NCHW), the official float
  normalisation inside, bit-identical to ``sapiens2.processing.normalize``;
* optional in-graph decoding: seg logits -> uint8 class labels (argmax at model resolution; the
  official pipeline resizes logits to the image size before its argmax, so resize labels with
  nearest-neighbour, or keep the logits with ``decode="beside"``); pose heatmaps -> integer peak
  (x, y) in heatmap pixels and the raw maximum as score, the first step of the official UDP decode.
  The sub-pixel DARK refinement needs the heatmaps and stays in ``sapiens2.processing``
  (``refine_dark_udp``), so keep the heatmaps (``decode="beside"``) when it is wanted.

The attention computation is switched on the model itself (``attention_mode``), which only
changes how blocks attend, not the weights, and is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from sapiens2.models import Sapiens2TaskModel
from sapiens2.models.outputs import DECODED_OUTPUTS, INPUT_NAME, RAW_OUTPUTS
from sapiens2.processing import MEAN_RGB, STD_RGB
from torch import nn


class ImageNormalizer(nn.Module):
    """uint8 RGB pixels (NHWC or NCHW) -> float32 NCHW ``(x - mean) / std`` (official order of operations)."""

    def __init__(self, layout: str) -> None:
        super().__init__()
        self.layout = layout
        self.register_buffer("mean", torch.tensor(MEAN_RGB, dtype=torch.float32).reshape(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD_RGB, dtype=torch.float32).reshape(1, 3, 1, 1), persistent=False)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        nchw = pixels.permute(0, 3, 1, 2) if self.layout == "NHWC" else pixels
        return (nchw.to(torch.float32) - self.mean) / self.std


def heatmap_peaks(heatmaps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, K, h, w) -> integer peak (x, y) (B, K, 2) float32 and raw max (B, K); (-1, -1) where max <= 0."""
    width = heatmaps.shape[-1]
    scores, index = heatmaps.flatten(2).max(dim=2)
    peaks = torch.stack((index % width, torch.div(index, width, rounding_mode="floor")), dim=-1).to(torch.float32)
    return torch.where(scores.unsqueeze(-1) > 0, peaks, torch.full_like(peaks, -1.0)), scores


def logits_to_labels(logits: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) logits -> (B, H, W) uint8 class ids (29 classes fit in a byte)."""
    return logits.argmax(dim=1).to(torch.uint8)


def output_names(task: str, decode: str) -> tuple[str, ...]:
    """Names of the artifact outputs, in order, for ``task`` and a decode mode."""
    if decode == "none":
        return RAW_OUTPUTS[task]
    decoded = DECODED_OUTPUTS[task]
    return decoded if decode == "only" else RAW_OUTPUTS[task] + decoded


class ExportWrapper(nn.Module):
    """``model`` at a fixed input size with fixed fp32 RoPE tables and the optional in-graph steps.

    ``fixed_rope=False`` lets the model compute RoPE itself (the official bf16 numerics); it is
    used only as the eager reference for the ``vs_official`` figures, never exported.
    """

    def __init__(
        self,
        model: Sapiens2TaskModel,
        input_size: tuple[int, int],
        preprocess: str | None = None,
        decode: str = "none",
        fixed_rope: bool = True,
    ) -> None:
        super().__init__()
        if decode != "none" and model.task not in DECODED_OUTPUTS:
            raise ValueError(f"in-graph decoding exists for {sorted(DECODED_OUTPUTS)}, not {model.task!r}")
        self.model = model
        self.task = model.task
        self.input_size = tuple(input_size)
        self.decode = decode
        self.normalizer = ImageNormalizer(preprocess) if preprocess else None
        self.fixed_rope = fixed_rope
        sin, cos = model.backbone.rope_tables(self.input_size, torch.float32)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.input_names = (INPUT_NAME,)
        self.output_names = output_names(self.task, decode)

    @property
    def input_dtype(self) -> torch.dtype:
        return torch.uint8 if self.normalizer is not None else torch.float32

    def input_shape(self, batch: int = 1) -> tuple[int, int, int, int]:
        height, width = self.input_size
        if self.normalizer is not None and self.normalizer.layout == "NHWC":
            return (batch, height, width, 3)
        return (batch, 3, height, width)

    def example_input(self, batch: int = 1) -> torch.Tensor:
        """A mid-grey image of the right shape and dtype for tracing."""
        if self.normalizer is not None:
            return torch.full(self.input_shape(batch), 128, dtype=torch.uint8)
        return torch.zeros(self.input_shape(batch), dtype=torch.float32)

    def forward(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = self.normalizer(image) if self.normalizer is not None else image
        out = self.model(x, (self.rope_sin, self.rope_cos) if self.fixed_rope else None)
        raw = out if isinstance(out, tuple) else (out,)
        if self.decode == "none":
            return raw
        decoded = heatmap_peaks(raw[0]) if self.task == "pose" else (logits_to_labels(raw[0]),)
        return decoded if self.decode == "only" else raw + decoded


@contextmanager
def attention_mode(model: Sapiens2TaskModel, attention: str, tile_size: int, window: int) -> Iterator[None]:
    """Run the block with every encoder block attending as asked; the previous modes come back after."""
    backbone = model.backbone
    previous = [block.attn.mode for block in backbone.blocks], backbone.attention
    backbone.set_attention(attention, tile_size=tile_size, window=window)
    try:
        yield
    finally:
        for block, mode in zip(backbone.blocks, previous[0]):
            block.attn.mode = mode
        backbone.attention = previous[1]
