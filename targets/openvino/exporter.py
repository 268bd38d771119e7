"""OpenVINO target: ``ov.convert_model(wrapper, example_input=...)`` -> ``model.xml`` + ``model.bin``.

Precisions (docs/toolchain.md):

* ``fp32``: f32 IR saved with ``compress_to_fp16=False`` (``ov.save_model`` compresses to fp16
  by default, which would silently halve the weights' precision).
* ``fp16``: fp16-compressed weights (half the file); the CPU plugin decompresses them and runs f32.
* ``bf16``: the f32 IR plus ``INFERENCE_PRECISION_HINT=bf16`` in the manifest; the CPU runs bf16
  where it has AVX512-BF16/AMX (about 4x eager fp32, cosine ~0.9997 on output tokens) and f32
  elsewhere. The ``f16`` hint is not offered: on CPU it silently runs bf16.

Models with streamed weights, and inputs whose trace would hold more activations than the model has
weights (the large sizes at 1024x768), go through the ONNX target's exporter instead.
"""

from __future__ import annotations

import shutil
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

from sapiens2.compile.options import CompileOptions
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.compile.split_ffn import split_ffn_projections
from sapiens2.compile.streaming import streamed_weights
from sapiens2.targets.base import ExportedArtifact

MODEL_FILE = "model.xml"
ONNX_SCRATCH = "onnx-scratch"
ONNX_FILE = "model.onnx"
TRACE_BYTES_PER_VALUE = 4  # the trace runs in fp32


def export_artifact(wrapper: ExportWrapper, directory: Path, options: CompileOptions) -> ExportedArtifact:
    """Convert the wrapper, name its ports, optionally free the batch dimension and save the IR."""
    import openvino as ov

    if streamed_weights(wrapper.model) is not None or trace_outweighs_weights(wrapper, options):
        return _export_from_onnx(wrapper, directory, options)
    with warnings.catch_warnings(), split_ffn_projections(wrapper.model):
        warnings.simplefilter("ignore")  # tracing warns about python branches that are constant for a fixed size
        model = ov.convert_model(wrapper, example_input=wrapper.example_input())
    _save(model, wrapper, directory, options)
    return ExportedArtifact(sorted(item.name for item in directory.iterdir()))


def trace_outweighs_weights(wrapper: ExportWrapper, options: CompileOptions) -> bool:
    """Whether tracing would hold more memory than the weights: then the ONNX route is taken.

    OpenVINO's PyTorch frontend traces with real tensors and keeps every block's attention
    probabilities until the conversion ends (measured: the 0.1B at 1024x768 peaked at 5.0 GB for
    0.46 GB of weights, about its 12 blocks x 12 heads x 3072^2 fp32 probabilities; the 1B at 1024x768
    passed 14.5 GB). The ONNX exporter traces with fake tensors and holds none.
    """
    backbone = wrapper.model.backbone
    rows, cols = backbone.token_grid(options.input_size)
    probabilities = backbone.num_layers * backbone.arch_spec.num_heads * (rows * cols) ** 2 * TRACE_BYTES_PER_VALUE
    weights = sum(p.numel() * p.element_size() for p in wrapper.model.parameters())
    return probabilities > weights


def _export_from_onnx(wrapper: ExportWrapper, directory: Path, options: CompileOptions) -> ExportedArtifact:
    """The ONNX target's writer (which reads streamed weights from the checkpoint) writes an ONNX file, which OpenVINO
    reads and saves as IR; the ONNX file is deleted once the IR is saved.

    ``read_model`` memory-maps the external data and keeps it as the model's constants; ``convert_model``
    copied every weight to the heap on top of the mapped file (the 0.4B: +1.5 GB anonymous beside 1.7 GB
    mapped, peak 5.4 GB against 3.8 GB), and its extra passes are what the CPU plugin does anyway.
    """
    import openvino as ov
    from sapiens2.targets.onnx.exporter import export_artifact as export_onnx

    scratch = directory / ONNX_SCRATCH
    scratch.mkdir()
    export_onnx(wrapper, scratch, replace(options, target="onnx", precision="fp32"))
    _save(ov.Core().read_model(scratch / ONNX_FILE), wrapper, directory, options)
    shutil.rmtree(scratch)
    return ExportedArtifact(sorted(item.name for item in directory.iterdir()))


def _save(model: Any, wrapper: ExportWrapper, directory: Path, options: CompileOptions) -> None:
    import openvino as ov

    for port, name in zip(model.inputs, wrapper.input_names):
        port.get_tensor().set_names({name})
    for port, name in zip(model.outputs, wrapper.output_names):
        port.get_tensor().set_names({name})
    # Static shapes (the batch free only if asked): the trace leaves every dimension open, and the CPU plugin
    # runs an open-shaped model 3-10 % slower (shape inference and memory planning per call).
    batch, *rest = wrapper.input_shape()
    model.reshape({model.inputs[0]: ov.PartialShape([-1 if options.dynamic_batch else batch, *rest])})
    ov.save_model(model, directory / MODEL_FILE, compress_to_fp16=options.precision == "fp16")
