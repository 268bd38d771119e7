"""How much arithmetic one image costs a model: counted once per model and input size, in torch's terms.

torch's ``FlopCounterMode`` counts the matrix products, convolutions (transposed ones included) and
attention of one forward pass at 2 operations per multiply-add, which is what the GEMM ceilings count
too, so ``operations / latency`` of a row and a ceiling are the same unit. Element-wise work (norms,
activations, RoPE) is left out: it is small next to the products and no CPU ceiling measures it.
torch has no formula for the fused CPU attention op, so ``attention_flop`` counts its two products.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from .reference import Reference


def reference_gflop(reference: Reference) -> float:
    """GFLOP of one image through the group's model (the reference, batch 1)."""
    attention = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: attention_flop}  # what SDPA runs on the CPU
    with FlopCounterMode(display=False, custom_mapping=attention) as counter:
        reference.runner.run(reference.batch(reference.layout))
    return counter.get_total_flops() / 1e9


def attention_flop(query_shape: Sequence[int], key_shape: Sequence[int], value_shape: Sequence[int], *_: Any, **__: Any) -> int:
    """Scores (q k^T) and the weighted sum (p v): 2 operations per multiply-add; grouped keys count per query head."""
    batch, heads, queries, depth = query_shape
    keys, value_depth = key_shape[-2], value_shape[-1]
    return 2 * batch * heads * queries * keys * (depth + value_depth)


def achieved_gops(gflop: float, median_ms: float) -> float:
    """Operations per second, in G, of a row that takes ``median_ms`` per image of ``gflop``."""
    return gflop / (median_ms / 1000)
