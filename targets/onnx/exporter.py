"""ONNX target: ``torch.onnx.export(dynamo=True)`` at opset 20, run by ONNX Runtime.

Choices, from docs/toolchain.md (measured with the pinned versions):

* dynamo exporter, opset 20: the legacy exporter fails on ``aten::rms_norm``; opset 23's native
  ``Attention`` op is slower (187 vs 166 ms) and uses 34 % more memory in ORT 1.31. At opset 20
  the dynamo exporter decomposes RMSNorm itself, so the model needs no patch.
* the graph gets constant folding (cheap); onnxscript's full optimizer (``optimize_graph``) is
  optional: it removes more nodes but ONNX Runtime runs both equally fast.
* fixed shapes by default; a dynamic batch dimension on request (dynamic H/W would cost +25 %).
  torch.export specialises a batch of 1, so the dynamic export traces with a batch of 2.
* weights above ~1.5 GB (0.4B and larger) go to an external data file next to the graph:
  protobuf cannot hold more than 2 GB. Weights (and the transposes the exporter puts on linear
  weights) are read from the model, or from the checkpoint when it streams them, only while the
  file is written (``lazy_weights.py``): constant folding would otherwise keep a second copy.
* fp16 uses ``onnxconverter_common`` (fp16 weights and activations, fp32 inputs/outputs) when it is
  installed. On ORT CPU it is slower than fp32 (no fast fp16 kernels); it halves the file.
* bf16 is refused: ORT CPU has no bf16 kernels (``Could not find an implementation for Mul(14)``).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch

from sapiens2.compile.options import CompileOptions
from sapiens2.errors import CompileError
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.targets.base import ExportedArtifact

from sapiens2.compile.streaming import streamed_weights

from .artifact import MODEL_FILE, OPSET
from .lazy_weights import TensorReader, attach_lazy_weights, is_lazy, save_with_external_data

EXTERNAL_DATA_BYTES = 1_500_000_000
# onnxscript's constant folding leaves inputs above this size alone (DEFAULT_CONSTANT_FOLD_INPUT_SIZE_LIMIT), except
# transposes, which lazy_weights folds instead.
FOLDED_INPUT_ELEMENTS = 8192
MODEL_PREFIX = "model."  # the wrapper's attribute holding the task model: export names are "model." + state-dict key


def export_artifact(wrapper: ExportWrapper, directory: Path, options: CompileOptions) -> ExportedArtifact:
    """Write ``model.onnx`` (plus ``model.onnx.data`` for large models) into ``directory``."""
    example = wrapper.example_input(batch=2 if options.dynamic_batch else 1)
    dynamic_shapes = {"image": {0: torch.export.Dim("batch", min=1)}} if options.dynamic_batch else None
    with _quiet_exporter():
        program = torch.onnx.export(
            wrapper,
            (example,),
            dynamo=True,
            opset_version=OPSET,
            input_names=list(wrapper.input_names),
            output_names=list(wrapper.output_names),
            dynamic_shapes=dynamic_shapes,
            optimize=options.optimize_graph,
            verbose=False,
        )
        if not options.optimize_graph:
            if options.precision != "fp16":
                _attach_weights(program.model, wrapper)
            fold_constants(program.model)
    path = directory / MODEL_FILE
    external = parameter_bytes(wrapper) > EXTERNAL_DATA_BYTES
    if options.precision == "fp16":
        _save_fp16(program.model_proto, path, external)
    elif external:
        save_with_external_data(program.model, str(path))
    else:
        program.save(path)
    return ExportedArtifact(sorted(item.name for item in directory.iterdir()))


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter prints its stages and warns about absent torchvision ops; the progress display suffices."""
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            yield
    finally:
        registration.setLevel(level)


def fold_constants(model: object) -> None:
    """Fold the constant sub-graphs (RoPE tables, shapes) and drop dead nodes: a fraction of a second,
    and ONNX Runtime sessions then load several times faster than from the raw export. Lazily read
    weights are left alone: folding would read them into memory."""
    import onnx_ir.passes.common
    import onnxscript.optimizer

    onnxscript.optimizer.fold_constants(model, should_fold=lambda node: False if any(map(is_lazy, node.inputs)) else None)
    onnx_ir.passes.common.RemoveUnusedNodesPass()(model)


def parameter_bytes(module: torch.nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in module.parameters())


def _attach_weights(model: object, wrapper: ExportWrapper) -> None:
    names = weight_names(wrapper)
    missing = names - attach_lazy_weights(model, names, weight_reader(wrapper))
    streamed = sorted(name for name in missing if _is_streamed(wrapper, name))
    if streamed:  # their stand-ins' zeros would reach the file
        raise CompileError(
            f"the exported graph holds {len(streamed)} streamed weights under other names ({', '.join(streamed[:3])}); "
            "compile without --stream-weights"
        )


def _is_streamed(wrapper: ExportWrapper, name: str) -> bool:
    stream = streamed_weights(wrapper.model)
    return stream is not None and stream.holds(name.removeprefix(MODEL_PREFIX))


def weight_names(wrapper: ExportWrapper) -> set[str]:
    """The export names (module paths) of the tensors written lazily: every large one, and every one the model streams.

    Smaller constants (norm weights, biases, RoPE tables) fold as they always did.
    """
    tensors = dict(wrapper.named_parameters()) | dict(wrapper.named_buffers())
    return {name for name, tensor in tensors.items() if tensor.numel() > FOLDED_INPUT_ELEMENTS or _is_streamed(wrapper, name)}


def weight_reader(wrapper: ExportWrapper) -> TensorReader:
    """Reads a weight by its export name: from the checkpoint where the model streams it, else the live tensor."""
    live = dict(wrapper.named_parameters()) | dict(wrapper.named_buffers())
    stream = streamed_weights(wrapper.model)
    if stream is None:
        return live.__getitem__
    return lambda name: stream.read(key) if stream.holds(key := name.removeprefix(MODEL_PREFIX)) else live[name]


def _save_fp16(model_proto: object, path: Path, external: bool) -> None:
    import onnx
    from onnxconverter_common import float16

    converted = float16.convert_float_to_float16(model_proto, keep_io_types=True)
    onnx.save_model(converted, str(path), save_as_external_data=external, location=f"{path.name}.data")
