"""What this CPU can do at best: GEMM throughput of each runtime and precision at a ViT-like shape.

A bench row's speed means little alone (machines differ from run to run: AVX2-only, AVX-512 with VNNI
and BF16, AMX): ``measure_ceilings`` times one matrix product of a ViT's size (tokens x width x MLP
width) with the bench's thread count on every runtime and precision this CPU has, in the same run as
the rows, so each row can be judged as a fraction of the best product its precision class allows.
The bench measures them before and after its rows and keeps each product's faster pass
(``higher_ceilings``): on a shared host the same product's median moved from 83 to 156 GFLOP/s within
minutes (Zen 2 VM, docs/benchmarks.md), and a ceiling caught in a slow spell made rows exceed it.

Precision classes: ``fp32``; ``bf16`` (only where the CPU has AVX512-BF16 or AMX: elsewhere runtimes
emulate it or silently compute in f32); ``int8`` as uint8 activations x int8 weights (the pair that is
fast without VNNI) and int8 x int8. Weight-only int8/int4 rows compute in floating point, so they are
judged against the fp32 ceiling.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
from sapiens2.cpu import has_fast_bf16

from .flops import achieved_gops
from .results import RowResult

# (M, K, N): 3072 tokens x 768 width x 3072 MLP width, a ViT-B block's first MLP product at 1K tokens.
GEMM_SHAPE = (3072, 768, 3072)
# Each product is timed over at least this long per requested run (see ``_time``): 1.5 s at the bench's default 10 runs.
SECONDS_PER_RUN = 0.15
# Which ceiling judges a row of each precision (weight-only schemes compute in floating point).
PRECISION_CLASS = {"fp32": "fp32", "fp16": "bf16", "bf16": "bf16", "int8": "int8", "int8-weights": "fp32", "int4-weights": "fp32"}


@dataclass(frozen=True)
class Ceiling:
    """One runtime's GEMM throughput at one precision (operations: 2 per multiply-add)."""

    runtime: str
    precision: str  # fp32, bf16, u8s8 or s8s8
    precision_class: str  # fp32, bf16 or int8
    gops: float  # median over the timed calls (of the faster pass, when measured more than once)
    best_gops: float
    reason: str | None = None  # set instead of the figures where it could not be measured
    passes_gops: tuple[float, ...] = ()  # each pass's median, where ``higher_ceilings`` merged several

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


Product = Callable[[], object]


def measure_ceilings(threads: int, runs: int = 5, warmup: int = 1, shape: Sequence[int] = GEMM_SHAPE) -> list[Ceiling]:
    """Every runtime x precision GEMM this CPU can run; unavailable ones carry their reason."""
    has_bf16 = has_fast_bf16()
    ceilings = []
    for runtime, precision, build in _PRODUCTS:
        klass = "int8" if precision in ("u8s8", "s8s8") else precision
        if precision == "bf16" and not has_bf16:
            ceilings.append(Ceiling(runtime, precision, klass, 0.0, 0.0, "this CPU has no bf16 instructions (AVX512-BF16 or AMX)"))
            continue
        try:
            product = build(shape, threads)
        except Exception as error:  # noqa: BLE001 - a runtime absent or refusing a kernel here is a finding, not a failure
            ceilings.append(Ceiling(runtime, precision, klass, 0.0, 0.0, f"{type(error).__name__}: {error}"))
            continue
        median_s, best_s = _time(product, runs, warmup, runs * SECONDS_PER_RUN)
        operations = 2.0 * shape[0] * shape[1] * shape[2]
        ceilings.append(Ceiling(runtime, precision, klass, operations / median_s / 1e9, operations / best_s / 1e9))
    return ceilings


def higher_ceilings(passes: Sequence[Sequence[Ceiling]]) -> list[Ceiling]:
    """Per runtime and precision, the pass with the higher median, with every pass's median beside it."""
    merged = []
    for measured in zip(*passes, strict=True):
        faster = max(measured, key=lambda ceiling: ceiling.gops)
        merged.append(replace(faster, passes_gops=tuple(ceiling.gops for ceiling in measured)))
    return merged


def best_ceilings(ceilings: Sequence[Ceiling]) -> dict[str, Ceiling]:
    """The fastest measured ceiling of each precision class."""
    best: dict[str, Ceiling] = {}
    for ceiling in (ceiling for ceiling in ceilings if ceiling.reason is None):
        known = best.get(ceiling.precision_class)
        if known is None or ceiling.gops > known.gops:
            best[ceiling.precision_class] = ceiling
    return best


def judge(rows: Sequence[RowResult], gflop: float, best: dict[str, Ceiling]) -> None:
    """Give each timed row of one group its operations, achieved GOP/s and share of its precision's ceiling."""
    for row in rows:
        if row.latency is None or row.spec.target == "mediapipe":  # another model: its own arithmetic
            continue
        row.gflop, row.achieved_gops = gflop, achieved_gops(gflop, row.latency.median_ms)
        ceiling = best.get(PRECISION_CLASS.get(row.spec.precision, "fp32"))
        if ceiling is not None:
            row.ceiling = f"{ceiling.runtime} {ceiling.precision}"
            row.ceiling_fraction = row.achieved_gops / ceiling.gops


def _time(product: Product, runs: int, warmup: int, window_s: float) -> tuple[float, float]:
    """Median and best seconds per call: ``warmup`` calls and a quarter of ``window_s`` of warm-up, then at least
    ``runs`` calls spanning at least ``window_s``. One product is ~10 ms, and a few calls are not enough where the
    CPU ramps up (AMX units and turbo licences: the first bf16 products ran at a third of the rate) or shares its
    cores (a neighbour's burst moved a 3-call median by 3x on an AMX machine)."""
    _repeat(product, warmup, window_s / 4)
    seconds = _repeat(product, max(runs, 3), window_s)
    return float(np.median(seconds)), min(seconds)


def _repeat(product: Product, calls: int, span_s: float) -> list[float]:
    """Seconds of each call, repeated until ``calls`` calls and ``span_s`` seconds are both done."""
    seconds: list[float] = []
    start = time.perf_counter()
    while len(seconds) < calls or time.perf_counter() - start < span_s:
        call_start = time.perf_counter()
        product()
        seconds.append(time.perf_counter() - call_start)
    return seconds


def _operands(shape: Sequence[int], dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    rows, inner, columns = shape
    generator = np.random.default_rng(0)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        activations = generator.integers(info.min, info.max, (rows, inner), dtype=dtype, endpoint=True)
        return activations, generator.integers(-127, 127, (inner, columns), dtype=np.int8, endpoint=True)
    return (generator.standard_normal((rows, inner), dtype=np.float32), generator.standard_normal((inner, columns), dtype=np.float32))


def _torch(precision: str) -> Callable[[Sequence[int], int], Product]:
    def build(shape: Sequence[int], threads: int) -> Product:
        import torch

        from sapiens2.threads import torch_threads

        dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[precision]
        activations, weights = (torch.from_numpy(a).to(dtype) for a in _operands(shape, np.dtype(np.float32)))

        def product() -> object:
            with torch_threads(threads), torch.inference_mode():
                return torch.mm(activations, weights)

        return product

    return build


def _onnxruntime(precision: str) -> Callable[[Sequence[int], int], Product]:
    def build(shape: Sequence[int], threads: int) -> Product:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        activation_dtype = {"fp32": np.float32, "u8s8": np.uint8, "s8s8": np.int8}[precision]
        activations, weights = _operands(shape, np.dtype(activation_dtype))
        rows, inner, columns = shape
        if precision == "fp32":
            node = helper.make_node("MatMul", ["a", "w"], ["y"])
            output_type = TensorProto.FLOAT
        else:  # zero points default to 0
            node = helper.make_node("MatMulInteger", ["a", "w"], ["y"])
            output_type = TensorProto.INT32
        graph = helper.make_graph(
            [node],
            "gemm",
            [helper.make_tensor_value_info("a", helper.np_dtype_to_tensor_dtype(activations.dtype), [rows, inner])],
            [helper.make_tensor_value_info("y", output_type, [rows, columns])],
            [numpy_helper.from_array(weights, "w")],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        return lambda: session.run(None, {"a": activations})

    return build


def _openvino(precision: str) -> Callable[[Sequence[int], int], Product]:
    """fp32 and bf16 (the precision hint) on a plain MatMul; int8 as OpenVINO's own quantized models are:
    FakeQuantize on the activations and on int8 weights, which its CPU plugin runs as u8 x i8."""

    def build(shape: Sequence[int], threads: int) -> Product:
        import openvino as ov
        import openvino.opset13 as ops

        activations, weights = _operands(shape, np.dtype(np.float32))
        parameter = ops.parameter(list(activations.shape), ov.Type.f32, name="a")
        if precision == "u8s8":
            bound = float(np.abs(activations).max())
            limits = [ops.constant(np.float32(value)) for value in (-bound, bound, -bound, bound)]
            scale = np.float32(np.abs(weights).max() / 127)
            quantized = np.round(weights / scale).astype(np.int8)
            dequantized = ops.multiply(ops.convert(ops.constant(quantized), ov.Type.f32), ops.constant(scale))
            weight_limits = [ops.constant(np.float32(value)) for value in (-127 * scale, 127 * scale) * 2]
            product = ops.matmul(
                ops.fake_quantize(parameter, *limits, 256), ops.fake_quantize(dequantized, *weight_limits, 255), False, False
            )
        else:
            product = ops.matmul(parameter, ops.constant(weights), False, False)
        model = ov.Model([product], [parameter], "gemm")
        hint = {"bf16": "bf16"}.get(precision, "f32")
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": hint}
        request = ov.Core().compile_model(model, "CPU", config).create_infer_request()
        # Shared, not copied: a copy of the 3072 x 3072 f32 result (38 MB) took longer than an AMX product itself
        # (bf16 647 GOP/s with the copy, 1616 without, on a Xeon with AMX).
        return lambda: request.infer({0: activations}, share_inputs=True, share_outputs=True)

    return build


_PRODUCTS: tuple[tuple[str, str, Callable[[Sequence[int], int], Product]], ...] = (
    ("torch", "fp32", _torch("fp32")),
    ("torch", "bf16", _torch("bf16")),
    ("onnxruntime", "fp32", _onnxruntime("fp32")),
    ("onnxruntime", "u8s8", _onnxruntime("u8s8")),
    ("onnxruntime", "s8s8", _onnxruntime("s8s8")),
    ("openvino", "fp32", _openvino("fp32")),
    ("openvino", "bf16", _openvino("bf16")),
    ("openvino", "u8s8", _openvino("u8s8")),
)
