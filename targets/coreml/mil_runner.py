"""Run a saved Core ML ML program on Linux, op by op, to check what the converter produced.

Core ML prediction needs macOS (coremltools ships no Linux runtime), but every ML program is a MIL
graph and almost every MIL op carries a numpy ``value_inference``. ``MilProgramRunner`` loads the
``.mlpackage`` back into pyMIL and evaluates the main function in order:

* each result is stored through the op's declared output type, so an fp16 program keeps fp16
  activations between ops (the rounding a GPU/Neural Engine run also has);
* ops without a numpy implementation (conv, conv_transpose, silu, instance_norm, pixel_shuffle),
  and matmul/linear for speed, run in torch on fp32 copies of their inputs, i.e. fp16 storage with
  fp32 accumulation, which is what Apple's GPU and Neural Engine do;
* a value is dropped once its last consumer ran, so memory stays near one layer's activations.

It validates the conversion (op semantics, weights, casts, fp16 range), not Apple's kernels: a
Neural Engine run can differ by its own accumulation order and fp16 transcendental functions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

Handler = Callable[[Any], tuple[np.ndarray, ...]]


def _fp32(var: Any) -> torch.Tensor:
    return torch.from_numpy(np.asarray(var.val, dtype=np.float32))


def _optional_fp32(var: Any) -> torch.Tensor | None:
    return None if var is None else _fp32(var)


def _spatial_padding(op: Any) -> list[int]:
    """MIL ``pad`` as (begin, end) per spatial axis; only the explicit and valid pad types occur in converted torch graphs."""
    rank = op.x.rank - 2
    if op.pad_type.val == "valid":
        return [0] * (2 * rank)
    if op.pad_type.val != "custom":
        raise NotImplementedError(f"mil_runner: {op.op_type} with pad_type {op.pad_type.val!r}")
    return [int(p) for p in op.pad.val]


def _conv(op: Any) -> tuple[np.ndarray, ...]:
    pad = _spatial_padding(op)
    x = _fp32(op.x)
    # F.pad wants (last axis begin, end, previous axis begin, end, ...).
    x = F.pad(x, [p for axis in reversed(range(len(pad) // 2)) for p in (pad[2 * axis], pad[2 * axis + 1])])
    conv = (F.conv1d, F.conv2d, F.conv3d)[op.x.rank - 3]
    out = conv(
        x,
        _fp32(op.weight),
        _optional_fp32(op.bias),
        tuple(op.strides.val),
        0,
        tuple(op.dilations.val),
        int(op.groups.val),
    )
    return (out.numpy(),)


def _conv_transpose(op: Any) -> tuple[np.ndarray, ...]:
    conv = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[op.x.rank - 3]
    out = conv(
        _fp32(op.x),
        _fp32(op.weight),
        _optional_fp32(op.bias),
        tuple(op.strides.val),
        0,
        0,
        int(op.groups.val),
        tuple(op.dilations.val),
    )
    pad = _spatial_padding(op)
    crop = tuple(slice(pad[2 * axis], out.shape[2 + axis] - pad[2 * axis + 1]) for axis in range(len(pad) // 2))
    out = out[(slice(None), slice(None), *crop)]
    if op.output_shape is not None:  # an explicit output shape may ask for extra trailing rows/columns
        target = [int(s) for s in op.output_shape.val][2:]
        out = F.pad(out, [p for axis in reversed(range(len(target))) for p in (0, target[axis] - out.shape[2 + axis])])
    return (out.numpy(),)


def _silu(op: Any) -> tuple[np.ndarray, ...]:
    return (F.silu(_fp32(op.x)).numpy(),)


def _instance_norm(op: Any) -> tuple[np.ndarray, ...]:
    x = _fp32(op.x)
    dims = tuple(range(2, x.dim()))
    mean = x.mean(dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dims, keepdim=True)
    out = (x - mean) / torch.sqrt(var + float(op.epsilon.val))
    shape = (1, -1) + (1,) * len(dims)
    if op.gamma is not None:
        out = out * _fp32(op.gamma).reshape(shape)
    if op.beta is not None:
        out = out + _fp32(op.beta).reshape(shape)
    return (out.numpy(),)


def _pixel_shuffle(op: Any) -> tuple[np.ndarray, ...]:
    return (F.pixel_shuffle(_fp32(op.x), int(op.upscale_factor.val)).numpy(),)


def _matmul(op: Any) -> tuple[np.ndarray, ...]:
    x, y = _fp32(op.x), _fp32(op.y)
    if op.transpose_x.val:
        x = x.transpose(-1, -2)
    if op.transpose_y.val:
        y = y.transpose(-1, -2)
    return (torch.matmul(x, y).numpy(),)


def _linear(op: Any) -> tuple[np.ndarray, ...]:
    return (F.linear(_fp32(op.x), _fp32(op.weight), _optional_fp32(op.bias)).numpy(),)


def _reduce(function: Callable[..., np.ndarray]) -> Handler:
    """numpy reductions with MIL's axes/keep_dims (some ``value_inference`` versions trip over numpy 2)."""

    def handler(op: Any) -> tuple[np.ndarray, ...]:
        axes = None if op.axes is None else tuple(int(a) for a in op.axes.val)
        keep = bool(op.keep_dims.val) if op.keep_dims is not None else False
        return (np.asarray(function(np.asarray(op.x.val), axis=axes, keepdims=keep)),)

    return handler


HANDLERS: dict[str, Handler] = {
    "conv": _conv,
    "conv_transpose": _conv_transpose,
    "silu": _silu,
    "instance_norm": _instance_norm,
    "pixel_shuffle": _pixel_shuffle,
    "matmul": _matmul,
    "linear": _linear,
    "reduce_mean": _reduce(np.mean),
    "reduce_sum": _reduce(np.sum),
    "reduce_max": _reduce(np.max),
    "reduce_min": _reduce(np.min),
}


def _value_inference(op: Any) -> tuple[np.ndarray, ...]:
    try:
        # Compressed weights (constexpr_*) decompress through materialized_val_inference instead.
        values = op.materialized_val_inference() if op.op_type.startswith("constexpr_") else op.value_inference()
    except NotImplementedError:
        raise NotImplementedError(
            f"mil_runner cannot evaluate MIL op {op.op_type!r} ({op.name}): add a handler"
        ) from None
    return tuple(values) if isinstance(values, (tuple, list)) else (values,)


def _store(var: Any, value: np.ndarray) -> None:
    """Give ``var`` a value through its declared type (this is where fp16 programs round to fp16)."""
    from coremltools.converters.mil.mil import types

    holder = var.sym_type()
    holder.val = np.asarray(value).astype(types.nptype_from_builtin(var.dtype), copy=False)
    var._sym_val = holder


class MilProgramRunner:
    """The main function of a saved ``.mlpackage``, evaluated op by op with numpy/torch on the CPU."""

    def __init__(self, package: str | Path) -> None:
        import coremltools as ct
        from coremltools.converters.mil.frontend.milproto.load import load as milproto_load

        model = ct.models.MLModel(str(package), skip_model_load=True)
        spec = model.get_spec()
        program = milproto_load(spec, spec.specificationVersion, model.weights_dir)
        self.function = program.functions["main"]
        self.input_names = tuple(self.function.inputs)
        self.output_names = tuple(var.name for var in self.function.outputs)
        self.operations = [op for op in self.function.operations if op.op_type != "const"]
        self._last_use = self._last_uses()

    def op_counts(self) -> dict[str, int]:
        """How many ops of each type the program has (constants included), most frequent first."""
        return dict(Counter(op.op_type for op in self.function.operations).most_common())

    def _last_uses(self) -> dict[int, list[Any]]:
        """Operation index -> the computed vars whose last consumer it is (outputs are kept)."""
        last: dict[int, int] = {}
        owners: dict[int, Any] = {}
        for index, op in enumerate(self.operations):
            for var in op.inputs.values():
                for item in var if isinstance(var, (list, tuple)) else (var,):
                    if item.op is not None and item.op.op_type != "const":
                        last[id(item)], owners[id(item)] = index, item
        keep = {id(var) for var in self.function.outputs}
        result: dict[int, list[Any]] = {}
        for key, index in last.items():
            if key not in keep:
                result.setdefault(index, []).append(owners[key])
        return result

    def run(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Outputs by name for one set of inputs (arrays of the declared input shapes)."""
        for name, var in self.function.inputs.items():
            _store(var, np.asarray(inputs[name]))
        try:
            for index, op in enumerate(self.operations):
                values = HANDLERS.get(op.op_type, _value_inference)(op)
                for var, value in zip(op.outputs, values):
                    _store(var, np.asarray(value))
                for var in self._last_use.get(index, ()):
                    var._sym_val = None
            return {var.name: np.array(var.val) for var in self.function.outputs}
        finally:
            for op in self.operations:
                for var in op.outputs:
                    var._sym_val = None
            for var in self.function.inputs.values():
                var._sym_val = None
