"""Compile a model too large to hold twice: its blocks stay in the checkpoint and are read one at a time.

The 5B's fp32 weights (20.3 GB) and the runtime's copy of them do not fit a 24 GB machine
together. With streamed weights the model is built with shape-only stand-ins for every encoder
block's tensors (stride-0 views of one zero: no memory), while the small rest (patch embedding,
tokens, final norm, head, RoPE periods) is read for real, so the wrapper, the RoPE tables and the
phase-deconv head are computed as usual. Then:

* **export**: the exporter traces the stand-in model (torch.export traces with fake tensors
  anyway, so the graph is the same), and the ONNX target's writer reads each block tensor from
  the memory-mapped ``.safetensors`` file only while it writes it to the external data file
  (``targets/onnx/lazy_weights.py``); OpenVINO converts that ONNX file;
* **reference**: ``reference_forward`` runs the PyTorch model range by range: a hook reads one
  block's tensors before the block runs and drops them after it, so the reference outputs come
  from the checkpoint's own weights with one block resident;
* **verification**: the runtime loads the artifact only after the references are computed, so
  the two never hold the weights at the same time (``pipeline.compile_bundle``).

The same path compiles any size (the tests run it on the tiny official fixtures and compare it
with the resident path), which is how it is tested without a 5B checkpoint.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from sapiens2.checkpoints.loading import model_from_state_dict
from sapiens2.checkpoints.readers import DDP_PREFIX, TORCH, locate_checkpoint, read_tensors
from sapiens2.errors import CompileError
from sapiens2.limits import available_bytes
from sapiens2.models import ArchSpec, Sapiens2TaskModel
from sapiens2.targets import Target
from torch import nn

from .heap import trim_heap
from .memory import runtime_copy_bytes
from .options import CompileOptions

STREAMED_PREFIX = "backbone.blocks."  # the encoder blocks: over 99 % of every size's weights
# What a stand-in model can export: float graphs whose weights the writer reads (fp16 conversion and the quantizers
# work on weights in memory, and calibration runs the model).
STREAMED_PRECISIONS = ("fp32", "bf16")
GB = 1e9


def stand_in(tensor: torch.Tensor) -> torch.Tensor:
    """A tensor of ``tensor``'s shape and dtype that holds one element: zeros, as a stride-0 view."""
    return torch.zeros((), dtype=tensor.dtype).expand(tensor.shape)


class StreamedWeights:
    """The block tensors a stand-in model reads from its ``.safetensors`` checkpoint on demand, by state-dict key.

    Each read opens the file again and returns a memory-mapped view, so a tensor's pages are
    released as soon as the caller drops it.
    """

    def __init__(self, files: Mapping[str, Path], dtypes: Mapping[str, torch.dtype]) -> None:
        self.files = dict(files)
        self.dtypes = dict(dtypes)

    def holds(self, key: str) -> bool:
        return key in self.files

    def read(self, key: str) -> torch.Tensor:
        with safe_open(str(self.files[key]), framework="pt") as handle:
            stored = handle.get_tensor(self.stored_key(handle, key))
        return stored.to(self.dtypes[key])

    @staticmethod
    def stored_key(handle: Any, key: str) -> str:
        return key if key in handle.keys() else DDP_PREFIX + key  # noqa: SIM118 (safe_open is no dict)


def streamed_weights(model: nn.Module) -> StreamedWeights | None:
    """The stream a model built by ``stream_checkpoint_model`` reads its blocks from; None for a resident model."""
    return getattr(model, "weight_stream", None)


def stream_checkpoint_model(
    source: str | os.PathLike[str], task: str | None = None, arch: str | Mapping[str, Any] | ArchSpec | None = None
) -> Sapiens2TaskModel:
    """The task model of a ``.safetensors`` checkpoint with stand-ins for its blocks, which it streams from the file."""
    files = locate_checkpoint(source)
    if files.format == TORCH:
        raise CompileError(
            f"{source} is a PyTorch file; streaming the weights needs a .safetensors checkpoint (memory-mapped, read "
            "tensor by tensor): convert it with safetensors.torch.save_file, or compile without --stream-weights"
        )
    where = {}
    for path in files.paths:
        with safe_open(str(path), framework="pt") as handle:
            where |= {key.removeprefix(DDP_PREFIX): path for key in handle.keys()}  # noqa: SIM118 (safe_open is no dict)
    shapes = read_tensors(files, meta=True)
    state_dict = {}
    for key, meta in shapes.items():
        if key.startswith(STREAMED_PREFIX):
            state_dict[key] = stand_in(meta)
        else:
            with safe_open(str(where[key]), framework="pt") as handle:
                state_dict[key] = handle.get_tensor(StreamedWeights.stored_key(handle, key))
    model = model_from_state_dict(source, state_dict, expect="task", task=task, arch=arch)
    expected = model.state_dict()
    model.weight_stream = StreamedWeights(
        {key: where[key] for key in shapes if key.startswith(STREAMED_PREFIX)},
        {key: expected[key].dtype for key in shapes if key.startswith(STREAMED_PREFIX)},
    )
    return model


@contextmanager
def reference_forward(model: Sapiens2TaskModel) -> Iterator[None]:
    """Forward passes inside read each streamed block's weights just before the block runs and drop them after it."""
    stream = streamed_weights(model)
    if stream is None:
        yield
        return
    hooks = []
    for index, block in enumerate(model.backbone.blocks):
        prefix = f"{STREAMED_PREFIX}{index}."
        hooks.append(block.register_forward_pre_hook(lambda module, args, prefix=prefix: _fill(module, prefix, stream)))
        hooks.append(block.register_forward_hook(lambda module, args, output: _empty(module)))
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


def _fill(block: nn.Module, prefix: str, stream: StreamedWeights) -> None:
    for name, tensor in block.state_dict(keep_vars=True).items():
        tensor.data = stream.read(prefix + name)


def _empty(block: nn.Module) -> None:
    for tensor in block.state_dict(keep_vars=True).values():
        tensor.data = stand_in(tensor.data)


def release_weights(model: nn.Module) -> None:
    """Replace every parameter and buffer by a stand-in and hand the memory back to the OS (the model is spent).

    Verification calls it once the PyTorch references are computed, so the runtime's copy of the
    weights never sits beside the PyTorch one.
    """
    for module in model.modules():
        for name, parameter in module._parameters.items():
            if parameter is not None:
                module._parameters[name] = nn.Parameter(stand_in(parameter.data), requires_grad=False)
        for name, buffer in module._buffers.items():
            if buffer is not None:
                module._buffers[name] = stand_in(buffer)
    gc.collect()
    trim_heap()


def streams(target: Target, options: CompileOptions) -> bool:
    """Whether ``target`` can compile ``options`` from a model with streamed weights."""
    return "stream_weights" in target.capabilities.options and options.precision in STREAMED_PRECISIONS


def check_streaming_room(model: nn.Module, options: CompileOptions, out: Path, available: int | None = None, free_disk: int | None = None) -> None:
    """Refuse a streamed compile the machine truly cannot hold: the artifact on disk, or the runtime's copy in memory
    (and a precision a stand-in model cannot give).

    The artifact's fp32 weights (4 bytes a parameter; OpenVINO converts an ONNX file it writes
    first, so twice that) go to a staging folder beside ``out``; verification then loads the
    artifact in the runtime, whose copy of the weights must fit in the memory left (free RAM + swap).
    """
    if options.precision not in STREAMED_PRECISIONS:
        raise CompileError(
            f"streamed weights compile {' and '.join(STREAMED_PRECISIONS)} artifacts, not {options.precision}: compile "
            f"{STREAMED_PRECISIONS[0]} with streamed weights, or {options.precision} on a machine that holds the model"
        )
    parameters = sum(p.numel() for p in model.parameters())
    disk_needed = 4 * parameters * (2 if options.target == "openvino" else 1)
    if free_disk is None:
        free_disk = shutil.disk_usage(out.parent if out.parent.exists() else Path.cwd()).free
    size = f"this {parameters / 1e9:.2f}B-parameter model for {options.target} {options.precision}"
    if disk_needed > free_disk:
        raise CompileError(
            f"not enough disk to compile {size}: the artifact takes {disk_needed / GB:.1f} GB and "
            f"{free_disk / GB:.1f} GB is free beside {out}; free some space or pass --out on a larger disk"
        )
    available = available_bytes() if available is None else available
    needed = runtime_copy_bytes(parameters, options)
    if available is not None and needed > available:
        raise CompileError(
            f"not enough memory to verify {size}, even with streamed weights: the runtime holds {needed / GB:.1f} GB of "
            f"weights and {available / GB:.1f} GB is left (free RAM + swap); use a machine with more memory "
            "(compile/README.md, 'Memory: compiling the large sizes', lists what each size needs)"
        )
