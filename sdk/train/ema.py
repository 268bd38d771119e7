"""Exponential moving average of a model's weights (PyTorch's ``AveragedModel``), for students and teachers."""

from __future__ import annotations

from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn


def ema_of(model: nn.Module, decay: float) -> AveragedModel:
    """A frozen copy of ``model`` whose weights follow decay * ema + (1 - decay) * model after each ``update_parameters``."""
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
    ema.requires_grad_(False)
    return ema
