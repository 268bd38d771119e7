"""AdamW with the official weight-decay and layer-wise lr decay rules, and the warm-up + linear-decay schedule.

Rules (official-facts §5.2): no decay for 1-D parameters, biases and anything named ``pos_embed``;
layer id 0 for the embeddings and prefix tokens, i + 1 for encoder block i, num_layers + 1 for
everything after the blocks (final norm, head); lr = base_lr * rate^(num_layers + 1 - layer_id).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

# Backbone parameters that sit before the first block (layer id 0).
EMBEDDING_PREFIXES = ("cls_token", "storage_tokens", "mask_token", "pos_embed", "patch_embed.", "tokenizer.")
BLOCK_PREFIXES = ("blocks.", "layers.")


def decays_weight(name: str, param: torch.Tensor) -> bool:
    """Whether AdamW's weight decay applies: not to 1-D tensors, biases, or ``pos_embed`` parameters."""
    return param.ndim > 1 and not name.endswith(".bias") and "pos_embed" not in name


def layer_id(name: str, num_layers: int) -> int:
    """The official layer index of parameter ``name`` (``backbone.``-prefixed in a task model).

    A DDP ``module.`` prefix and a distillation wrapper's ``student.`` prefix are ignored.
    """
    inner = name.removeprefix("module.").removeprefix("student.")
    if not inner.startswith("backbone."):
        return num_layers + 1
    inner = inner.removeprefix("backbone.")
    if inner.startswith(EMBEDDING_PREFIXES):
        return 0
    for prefix in BLOCK_PREFIXES:
        if inner.startswith(prefix):
            return int(inner[len(prefix) :].split(".", 1)[0]) + 1
    return num_layers + 1


def param_groups(
    named_params: Iterable[tuple[str, nn.Parameter]], num_layers: int, lr: float, weight_decay: float, layer_decay: float
) -> list[dict]:
    """Parameter groups keyed by (layer id, decay or not), each with its own lr scale and weight decay."""
    groups: dict[tuple[int, bool], dict] = {}
    top = num_layers + 1
    for name, param in named_params:
        if not param.requires_grad:
            continue
        layer = layer_id(name, num_layers)
        decay = decays_weight(name, param)
        group = groups.setdefault(
            (layer, decay),
            {"params": [], "names": [], "lr": lr * layer_decay ** (top - layer), "weight_decay": weight_decay if decay else 0.0},
        )
        group["params"].append(param)
        group["names"].append(name)
    for group in groups.values():
        group["initial_lr"] = group["lr"]
    return [groups[key] for key in sorted(groups)]


def build_optimizer(
    model: nn.Module, num_layers: int, lr: float, betas: tuple[float, float], weight_decay: float, layer_decay: float
) -> torch.optim.AdamW:
    """AdamW over ``param_groups`` (fused where the device supports it, as the official runner)."""
    groups = param_groups(model.named_parameters(), num_layers, lr, weight_decay, layer_decay)
    fused = all(p.is_cuda for g in groups for p in g["params"])
    return torch.optim.AdamW(groups, lr=lr, betas=betas, fused=fused or None)


def build_scheduler(
    optimizer: torch.optim.Optimizer, iters: int, warmup_iters: int, warmup_factor: float = 1e-3
) -> torch.optim.lr_scheduler.LRScheduler:
    """Linear warm-up from ``warmup_factor`` over ``warmup_iters``, then linear decay to 0 at ``iters``."""
    warmup_iters = min(warmup_iters, max(iters - 1, 0))
    decay = torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=max(iters - warmup_iters, 1), power=1.0)
    if warmup_iters == 0:
        return decay
    warmup = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=warmup_factor, total_iters=warmup_iters)
    return torch.optim.lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[warmup_iters])
