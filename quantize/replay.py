"""Replaying a forward pass from recorded activations, so the sensitivity scan runs only what follows a layer group.

One reference pass records the output of every *stage*: the task model's parts and their parts
(backbone, patch embedding, decode head, its deconv and conv stacks), each encoder block (backbone
and 4K tokenizer) and each weight layer.
To measure a group, the stages that finished before its first layer started return their
recorded output instead of computing it (their inputs are the same batch, so the output is the
same); only what follows runs again. A stage called more than once per pass is never replayed.

The pass can also stop early, at the decode head's input (the backbone features), for groups
whose effect the scan measures there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from sapiens2.models.layers.block import EncoderBlock
from torch import nn

from .layers import WEIGHT_LAYERS


class _Stopped(Exception):
    """Raised at the decode head's input when only the backbone features are wanted."""

    def __init__(self, features: torch.Tensor) -> None:
        super().__init__()
        self.features = features


def stage_names(model: nn.Module) -> list[str]:
    """The modules whose outputs a reference pass records: two levels of parts, encoder blocks, weight layers."""
    return [
        name
        for name, module in model.named_modules()
        if name and (name.count(".") <= 1 or isinstance(module, (EncoderBlock, *WEIGHT_LAYERS)))
    ]


@dataclass
class ForwardRecord:
    """What one reference pass saw: stage outputs, when each stage finished and when each watched layer started."""

    outputs: dict[str, Any] = field(default_factory=dict)
    finished: dict[str, int] = field(default_factory=dict)
    started: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def before(self, layer: str) -> list[str]:
        """The outermost stages called once that finished before ``layer`` started: what a pass measuring ``layer`` replays."""
        start = self.started[layer]
        done = [name for name, end in self.finished.items() if end < start and self.calls[name] == 1]
        return [name for name in done if not any(name.startswith(outer + ".") for outer in done)]

    def keep_only(self, stages: set[str]) -> None:
        """Drop the recorded outputs no group replays (stages inside a replayed one, the last head layer's)."""
        self.outputs = {name: value for name, value in self.outputs.items() if name in stages}


@torch.no_grad()
def record(model: nn.Module, run: Callable[[], Any], watched: Sequence[str]) -> tuple[Any, ForwardRecord]:
    """Run ``run`` once, recording every stage's output and the start of each ``watched`` layer."""
    named = dict(model.named_modules())
    log = ForwardRecord()
    clock = iter(range(1 << 62))

    def finished(name: str) -> Callable[..., None]:
        def hook(_: nn.Module, __: Any, output: Any) -> None:
            log.calls[name] = log.calls.get(name, 0) + 1
            log.finished[name] = next(clock)
            log.outputs[name] = output

        return hook

    def started(name: str) -> Callable[..., None]:
        def hook(_: nn.Module, __: Any) -> None:
            log.started.setdefault(name, next(clock))

        return hook

    with ExitStack() as stack:
        for name in stage_names(model):
            stack.callback(named[name].register_forward_hook(finished(name)).remove)
        for name in watched:
            stack.callback(named[name].register_forward_pre_hook(started(name)).remove)
        result = run()
    return result, log


@contextmanager
def replayed(model: nn.Module, log: ForwardRecord, stages: Sequence[str]) -> Iterator[None]:
    """Within the block, ``stages`` return their recorded outputs instead of running."""
    named = dict(model.named_modules())
    with ExitStack() as stack:
        for name in stages:
            stack.enter_context(_returning(named[name], log.outputs[name]))
        yield


@contextmanager
def _returning(module: nn.Module, output: Any) -> Iterator[None]:
    """``module`` returns ``output`` (hooks still run) until the block ends; an instance ``forward`` is put back."""
    previous = module.__dict__.get("forward")
    module.forward = lambda *_, **__: output
    try:
        yield
    finally:
        if previous is None:
            del module.forward
        else:
            module.forward = previous


def backbone_features(model: nn.Module, run: Callable[[], Any]) -> torch.Tensor:
    """The decode head's input for ``run``'s pass, without running the head."""

    def stop(_: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        raise _Stopped(args[0])

    hook = model.decode_head.register_forward_pre_hook(stop)
    try:
        run()
    except _Stopped as stopped:
        return stopped.features
    finally:
        hook.remove()
    raise ValueError("the model never called its decode head")
