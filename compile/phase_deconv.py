"""Stride-2 transposed convolutions rewritten as one ordinary convolution over the four output phases.

A stride-2 ``ConvTranspose2d`` gives every output pixel ``(2m + a, 2n + b)`` from a small fixed
neighbourhood of input pixels, with kernel taps that depend only on the phase ``(a, b)``. So the
same values come from one plain convolution with ``4 * out_channels`` filters (each phase's taps,
zeros where a phase has fewer), a slice per phase and a pixel shuffle (``DepthToSpace``). It is the
same arithmetic (the sums run in another order: fp32 results differ in the last bits), but ONNX
Runtime runs the plain convolution faster than its ``ConvTranspose`` and has int8 kernels only for
the plain kind (its int8 models dequantize ``ConvTranspose`` and run it in float).

The heads are left untouched: ``phase_deconvs`` swaps the layers only while an export runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import torch
import torch.nn.functional as F
from torch import nn

PHASES = (0, 1)


def _taps(kernel: int, padding: int) -> dict[int, dict[int, int]]:
    """Per output phase: input offset d -> kernel index, for out[2m + a] = sum x[m + d] * w[k]."""
    return {a: {(a + padding - k) // 2: k for k in range(kernel) if (a + padding - k) % 2 == 0} for a in PHASES}


def rewritable(layer: nn.Module) -> bool:
    """Whether ``layer`` is a transposed conv this rewrite reproduces (stride 2, output twice the input)."""
    if type(layer) is not nn.ConvTranspose2d:
        return False
    kernel, padding, output_padding = layer.kernel_size[0], layer.padding[0], layer.output_padding[0]
    square = (
        layer.kernel_size[0] == layer.kernel_size[1]
        and layer.padding[0] == layer.padding[1]
        and layer.output_padding[0] == layer.output_padding[1]
    )
    return (
        square
        and layer.stride == (2, 2)
        and layer.dilation == (1, 1)
        and layer.groups == 1
        and layer.padding_mode == "zeros"
        and kernel - 2 * padding + output_padding == 2
    )


class PhaseDeconv2d(nn.Module):
    """``ConvTranspose2d(stride=2)`` as Conv2d(4 * out) -> per-phase slices -> pixel shuffle (same function)."""

    def __init__(self, layer: nn.ConvTranspose2d) -> None:
        super().__init__()
        if not rewritable(layer):
            raise ValueError(f"cannot rewrite {layer} as a phase convolution")
        taps = _taps(layer.kernel_size[0], layer.padding[0])
        first = {a: min(taps[a]) for a in PHASES}
        span = max(max(taps[a]) - first[a] + 1 for a in PHASES)
        self.pad_before = -min(first.values())
        self.pad_after = max(0, max(first[a] + span - 1 for a in PHASES))
        self.starts = {a: first[a] + self.pad_before for a in PHASES}
        self.out_channels = layer.out_channels
        source = layer.weight.detach()  # (in, out, k, k)
        weight = source.new_zeros(2, 2, layer.out_channels, layer.in_channels, span, span)
        for a in PHASES:
            for b in PHASES:
                for dy, ky in taps[a].items():
                    for dx, kx in taps[b].items():
                        weight[a, b, :, :, dy - first[a], dx - first[b]] = source[:, :, ky, kx].T
        self.register_buffer(
            "weight", weight.reshape(4 * layer.out_channels, layer.in_channels, span, span), persistent=False
        )
        bias = None if layer.bias is None else layer.bias.detach().repeat(4)
        self.register_buffer("bias", bias, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        padded = F.pad(x, (self.pad_before, self.pad_after, self.pad_before, self.pad_after))
        y = F.conv2d(padded, self.weight, self.bias)
        channels = self.out_channels
        # Plain slices only (no integer indexing): mobile delegates take slices but not selects.
        parts = [
            y[
                :,
                (2 * a + b) * channels : (2 * a + b + 1) * channels,
                self.starts[a] : self.starts[a] + height,
                self.starts[b] : self.starts[b] + width,
            ]
            for a in PHASES
            for b in PHASES
        ]
        # (B, out, 4, H, W) with channel c * 4 + 2a + b: the order pixel_shuffle interleaves to (2h + a, 2w + b).
        return F.pixel_shuffle(torch.stack(parts, dim=2).flatten(1, 2), 2)


@contextmanager
def phase_deconvs(model: nn.Module) -> Iterator[None]:
    """Swap every rewritable transposed conv of ``model`` for its phase form; the originals come back after."""
    swapped: list[tuple[str, nn.Module]] = []
    for name, module in list(model.named_modules()):
        if rewritable(module):
            model.set_submodule(name, PhaseDeconv2d(module))
            swapped.append((name, module))
    try:
        yield
    finally:
        for name, module in swapped:
            model.set_submodule(name, module)


def deconv_form(model: nn.Module, form: str) -> AbstractContextManager[None]:
    """The context an export runs in for ``--deconv form`` (``"native"``: the model as it is)."""
    return phase_deconvs(model) if form == "phase" else nullcontext()
