"""``torch.export`` for the phone targets: decompositions that mobile delegates take whole.

The model is never edited. Its export graph keeps ``rms_norm``, ``instance_norm``,
``scaled_dot_product_attention`` and ``split`` as single ops, and each target replaces them
through ``ExportedProgram.run_decompositions`` with an exact equivalent its delegate runs
(docs/toolchain.md section 3, traps 3-6):

ExecuTorch / XNNPACK (``XNNPACK_DECOMPOSITIONS``)
  * RMSNorm and InstanceNorm as means over the two last axes of a 4-D tensor: XNNPACK delegates
    ``mean.dim`` only in that form (global average pooling); every other form leaves 49 norms of
    the 0.1B on portable kernels and splits the graph into 86 delegates.
  * attention as two 3-D batched matmuls with the scale folded into q: the default SDPA
    decomposition carries ``_safe_softmax`` guards (any/eq/where/full_like) and a ``mul.Scalar``
    that XNNPACK does not take.
  * ``split`` (query tiles) as slices: ``split_with_sizes_copy`` is not delegated.
  * SiLU as ``x * sigmoid(x)`` in the input dtype: the default form upcasts fp16 through casts.
  * with ``single_tile_attention`` the grouped-query layers fold their query groups into the
    sequence axis (the model's tiled mode with one tile) instead of repeating K/V with
    ``expand_copy``, which XNNPACK does not take either. Same function, no copies of K/V.

Core ML (``COREML_DECOMPOSITIONS``)
  * RMSNorm as ``x / s * rsqrt(mean((x / s)^2) + eps / s^2)`` with ``s = max|x|``: exact for any
    s > 0, and fp16-safe (x^2 overflows fp16 once |x| > 256). coremltools' own lowering also
    scales by max|x| but then adds eps unscaled, which is 1.2e-3 off in fp32 and NaN on zero rows.
  * attention per head, one ``(rows x keys)`` score matrix at a time (the Neural Engine layout,
    see ``attention_per_head``); with ``--attention tiled`` the rows are one query tile.
  * the integer floor division of in-graph pose decoding as a float division cast back to int.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from sapiens2.models import Sapiens2TaskModel
from sapiens2.models.layers.attention import GroupedQueryAttention
from sapiens2.models.layers.attention_modes import AttentionMode
from torch import nn

aten = torch.ops.aten
Decompositions = dict[Any, Callable[..., Any]]
ONE_TILE = 2**31 - 1  # a query tile no sequence reaches: the tiled computation in a single block


def rms_norm_as_pooling(
    x: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None, eps: float | None = None
) -> torch.Tensor:
    """``rms_norm`` with the mean of squares taken over axes (2, 3) of a (-1, 1, C, 1) view (XNNPACK global average pooling)."""
    channels = math.prod(normalized_shape)
    eps = torch.finfo(x.dtype).eps if eps is None else eps
    squares = (x * x).reshape(-1, 1, channels, 1).mean((2, 3), keepdim=True)
    squares = squares.reshape(*x.shape[: x.dim() - len(normalized_shape)], *[1] * len(normalized_shape))
    out = x * torch.rsqrt(squares + eps)
    return out if weight is None else out * weight


def rms_norm_scaled(
    x: torch.Tensor, normalized_shape: Sequence[int], weight: torch.Tensor | None = None, eps: float | None = None
) -> torch.Tensor:
    """``rms_norm`` computed on ``x / max|x|`` so that fp16 squares cannot overflow (exact: the scale cancels)."""
    dims = tuple(range(-len(normalized_shape), 0))
    eps = torch.finfo(x.dtype).eps if eps is None else eps
    # 1e-4 keeps 1 / scale^2 finite in fp16; any positive scale gives the same result.
    scale = torch.amax(torch.abs(x), dim=dims, keepdim=True).clamp_min(1e-4)
    unit = x / scale
    out = unit * torch.rsqrt((unit * unit).mean(dims, keepdim=True) + eps / (scale * scale))
    return out if weight is None else out * weight


def instance_norm_as_pooling(
    x: torch.Tensor,
    weight: torch.Tensor | None,
    bias: torch.Tensor | None,
    running_mean: torch.Tensor | None,
    running_var: torch.Tensor | None,
    use_input_stats: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> torch.Tensor:
    """``instance_norm`` (input statistics, the heads' parameter-free norm) as means over the spatial axes."""
    if not use_input_stats:
        raise NotImplementedError("instance_norm with running statistics does not occur in Sapiens2 heads")
    dims = tuple(range(2, x.dim()))
    centred = x - x.mean(dims, keepdim=True)
    out = centred * torch.rsqrt((centred * centred).mean(dims, keepdim=True) + eps)
    shape = (1, -1) + (1,) * len(dims)
    if weight is not None:
        out = out * weight.reshape(shape)
    return out if bias is None else out + bias.reshape(shape)


def _check_attention_arguments(dropout_p: float, is_causal: bool, enable_gqa: bool) -> None:
    if dropout_p or is_causal or enable_gqa:
        raise NotImplementedError("export attention: dropout, causal masks and enable_gqa do not occur in Sapiens2")


def _masked(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return scores
    return scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask


def attention_as_batched_matmul(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> torch.Tensor:
    """SDPA as ``softmax((q * scale) @ k^T) @ v`` on (batch * heads, tokens, dims) tensors (XNNPACK bmm)."""
    _check_attention_arguments(dropout_p, is_causal, enable_gqa)
    batch, heads, rows, dims = q.shape
    keys, value_dims = k.shape[-2], v.shape[-1]
    scale = dims**-0.5 if scale is None else scale
    scores = torch.bmm(
        (q * scale).reshape(batch * heads, rows, dims), k.reshape(batch * heads, keys, dims).transpose(1, 2)
    )
    if attn_mask is not None:
        attn_mask = attn_mask.expand(batch, heads, rows, keys).reshape(batch * heads, rows, keys)
    weights = torch.softmax(_masked(scores, attn_mask), dim=-1)
    return torch.bmm(weights, v.reshape(batch * heads, keys, value_dims)).reshape(batch, heads, rows, value_dims)


def attention_per_head(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    attn_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> torch.Tensor:
    """SDPA one head at a time: each score matrix is (rows x keys), keys on the last axis.

    This is the layout of Apple's Neural Engine transformer reference (ml-ane-transformers): split
    the heads so that every softmax works on one 2-D matrix that the Neural Engine can keep on
    chip, reduce over the contiguous last axis, and never materialise the (heads x rows x keys)
    tensor. With ``--attention tiled`` the rows are one query tile, which bounds every score
    matrix at tile_size x tokens elements.
    """
    _check_attention_arguments(dropout_p, is_causal, enable_gqa)
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    heads = []
    for head in range(q.shape[1]):
        scores = torch.matmul(q[:, head] * scale, k[:, head].transpose(-1, -2))
        mask = None if attn_mask is None else attn_mask[:, min(head, attn_mask.shape[1] - 1)]
        heads.append(torch.matmul(torch.softmax(_masked(scores, mask), dim=-1), v[:, head]))
    return torch.stack(heads, dim=1)


def silu_without_upcast(x: torch.Tensor) -> torch.Tensor:
    """``x * sigmoid(x)`` in the input's dtype (the default decomposition upcasts fp16 through casts XNNPACK skips)."""
    return x * torch.sigmoid(x)


def split_as_slices(x: torch.Tensor, split_size: int, dim: int = 0) -> list[torch.Tensor]:
    """``split`` into equal pieces as plain slices (no ``split_with_sizes_copy``; no empty tile when size < piece)."""
    dim = dim % x.dim()
    length = x.shape[dim]
    return [x.narrow(dim, start, min(split_size, length - start)) for start in range(0, length, split_size)]


def cat_without_single(tensors: Sequence[torch.Tensor], dim: int = 0) -> torch.Tensor:
    """``cat`` of one tensor is that tensor (a one-tile attention joins one block); others as usual."""
    if len(tensors) == 1:
        return tensors[0]
    return NotImplemented


def integer_floor_division(a: torch.Tensor, b: torch.Tensor | float, rounding_mode: str | None = None) -> torch.Tensor:
    """Integer ``div(..., rounding_mode="floor")`` (heatmap peak rows) as a float division cast back to the integer type.

    coremltools converts the integer form to a float result, which then cannot be stacked with the
    integer column index; the Core ML target keeps this division in fp32 (exact up to 2^24).
    """
    if rounding_mode != "floor" or a.is_floating_point():
        return NotImplemented
    return torch.div(a.to(torch.float32), b, rounding_mode="floor").to(a.dtype)


def _table(base: Decompositions, **overrides: Callable[..., Any]) -> Decompositions:
    ops = {
        "floor_division": aten.div.Tensor_mode,
        "silu": aten.silu.default,
        "rms_norm": aten.rms_norm.default,
        "instance_norm": aten.instance_norm.default,
        "attention": aten.scaled_dot_product_attention.default,
        "split": aten.split.Tensor,
        "cat": aten.cat.default,
    }
    return {**base, **{ops[name]: function for name, function in overrides.items()}}


def xnnpack_decompositions() -> Decompositions:
    """The default core-ATen table with the XNNPACK-friendly forms above."""
    return _table(
        torch.export.default_decompositions(),
        rms_norm=rms_norm_as_pooling,
        instance_norm=instance_norm_as_pooling,
        attention=attention_as_batched_matmul,
        split=split_as_slices,
        cat=cat_without_single,
        silu=silu_without_upcast,
    )


def coreml_decompositions() -> Decompositions:
    """Only the ops above: coremltools converts everything else from the un-decomposed graph (``run_decompositions({})``)."""
    return _table(
        {},
        rms_norm=rms_norm_scaled,
        attention=attention_per_head,
        split=split_as_slices,
        cat=cat_without_single,
        floor_division=integer_floor_division,
    )


@contextmanager
def single_tile_attention(model: nn.Module) -> Iterator[None]:
    """Blocks in ``sdpa`` mode compute as one query tile while inside (grouped-query layers fold instead of repeating K/V)."""
    swapped = [m for m in model.modules() if isinstance(m, GroupedQueryAttention) and m.mode.kind == "sdpa"]
    previous = [m.mode for m in swapped]
    for module in swapped:
        module.mode = AttentionMode("tiled", tile_size=ONE_TILE, window_size=module.mode.window_size)
    try:
        yield
    finally:
        for module, mode in zip(swapped, previous):
            module.mode = mode


@contextmanager
def fp32_rope_periods(model: Sapiens2TaskModel) -> Iterator[None]:
    """The RoPE ``periods`` buffer as fp32 while inside.

    Export wrappers pass precomputed tables, so the buffer is unused, but ``torch.export`` still
    lifts it and coremltools cannot hold a bf16 constant. The bf16 -> fp32 cast is lossless.
    """
    rope = model.backbone.rope_embed
    periods = rope.periods
    rope.periods = periods.float()
    try:
        yield
    finally:
        rope.periods = periods


def export_program(
    module: nn.Module, example: torch.Tensor, decompositions: Decompositions
) -> torch.export.ExportedProgram:
    """``torch.export`` of ``module`` at ``example``'s shape, with ``decompositions`` applied."""
    return torch.export.export(module, (example,), strict=False).run_decompositions(decompositions)
