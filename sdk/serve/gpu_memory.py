"""Refuse at start a model that cannot fit the GPU's free memory, with the figures, instead of an
out-of-memory error on the first request."""

from __future__ import annotations

import torch

from sapiens2.errors import UserError

BYTES_PER_ELEMENT = {"fp32": 4, "bf16": 2, "fp16": 2}
# Live activations of one encoder block, in units of (tokens x elements): the block input, q/k/v,
# the attention output and the feed-forward's two hidden projections; doubled for the allocator's
# slack and the head's upsampling maps.
ACTIVATION_SAFETY = 2.0
GIB = 2**30


def estimate_bytes(model: torch.nn.Module, input_size: tuple[int, int], precision: str, batch: int) -> tuple[int, int]:
    """(weight bytes, activation bytes) of serving ``model`` at ``precision`` on batches of ``batch``."""
    element = BYTES_PER_ELEMENT.get(precision, 4)
    weights = sum(parameter.numel() for parameter in model.parameters()) * element
    spec = model.backbone.arch_spec
    rows, cols = model.backbone.token_grid(input_size)
    per_input = rows * cols * (5 * spec.embed_dims + 2 * spec.feedforward_channels) * element
    return weights, int(per_input * batch * ACTIVATION_SAFETY)


def check_fits(
    name: str, model: torch.nn.Module, input_size: tuple[int, int], precision: str, batch: int, device: torch.device
) -> None:
    """UserError naming the figures when weights + activations exceed ``device``'s free memory."""
    free, total = torch.cuda.mem_get_info(device)
    weights, activations = estimate_bytes(model, input_size, precision, batch)
    if weights + activations > free:
        raise UserError(
            f"model {name!r} needs about {(weights + activations) / GIB:.1f} GiB on {device} "
            f"({weights / GIB:.1f} GiB of {precision} weights + {activations / GIB:.1f} GiB of activations at "
            f"batch {batch}, {input_size[0]}x{input_size[1]}) but only {free / GIB:.1f} of {total / GIB:.1f} GiB "
            "are free: lower --max-batch, use bf16, or serve it on a larger GPU"
        )
