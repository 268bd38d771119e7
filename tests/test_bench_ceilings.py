"""Ceilings: GEMM throughput per runtime and precision, the model's operations, and each row's share."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sapiens2.bench import BenchSettings, RowResult, RowSpec, Timing, Weights
from sapiens2.bench.ceilings import Ceiling, _onnxruntime, _openvino, _operands, _torch, best_ceilings, higher_ceilings, judge, measure_ceilings
from sapiens2.bench.charts import log_ticks
from sapiens2.bench.flops import reference_gflop
from sapiens2.cpu import cpu_flags, has_fast_bf16
from sapiens2.bench.reference import Reference
from sapiens2.bench.torch_runner import official_wrapper
from test_bench import SIZE, TINY_ARCH

SMALL_GEMM = (128, 64, 96)


def test_every_runtime_and_precision_is_measured_or_says_why(isa_path) -> None:
    ceilings = measure_ceilings(threads=1, runs=1, warmup=0, shape=SMALL_GEMM)
    pairs = {(c.runtime, c.precision) for c in ceilings}
    assert {("torch", "fp32"), ("onnxruntime", "fp32"), ("onnxruntime", "u8s8"), ("onnxruntime", "s8s8"), ("openvino", "u8s8")} <= pairs
    has_bf16 = has_fast_bf16()
    for ceiling in ceilings:
        if ceiling.precision == "bf16" and not has_bf16:
            assert ceiling.reason and "no bf16 instructions" in ceiling.reason and ceiling.gops == 0
        else:
            assert ceiling.reason is None, ceiling.reason
            assert 0 < ceiling.gops <= ceiling.best_gops
    assert {c.precision_class for c in ceilings} == {"fp32", "bf16", "int8"}
    isa_path(f"bf16 ceilings {'measured' if has_bf16 else 'refused: no AVX512-BF16/AMX'}; CPU flags {' '.join(cpu_flags())}")


# Each runtime's float product, and how its result reads as an array.
FLOAT_PRODUCTS = {
    "torch": (_torch("fp32"), lambda result: result.numpy()),
    "onnxruntime": (_onnxruntime("fp32"), lambda result: result[0]),
    "openvino": (_openvino("fp32"), lambda result: np.array(result[0])),
}


@pytest.mark.parametrize("runtime", FLOAT_PRODUCTS)
def test_each_float_product_computes_the_real_product(runtime: str) -> None:
    """A ceiling times the whole product (OpenVINO's result shared, not copied), not a shortcut around it."""
    build, as_array = FLOAT_PRODUCTS[runtime]
    activations, weights = _operands(SMALL_GEMM, np.dtype(np.float32))
    np.testing.assert_allclose(as_array(build(SMALL_GEMM, 1)()), activations @ weights, rtol=1e-4, atol=1e-3)


def test_the_best_ceiling_of_each_class_is_the_fastest_measured_one() -> None:
    ceilings = [
        Ceiling("torch", "fp32", "fp32", 100.0, 110.0),
        Ceiling("onnxruntime", "fp32", "fp32", 140.0, 150.0),
        Ceiling("onnxruntime", "u8s8", "int8", 260.0, 270.0),
        Ceiling("onnxruntime", "s8s8", "int8", 40.0, 41.0),
        Ceiling("openvino", "bf16", "bf16", 0.0, 0.0, "this CPU has no bf16 instructions"),
    ]
    best = best_ceilings(ceilings)
    assert {klass: (c.runtime, c.precision) for klass, c in best.items()} == {
        "fp32": ("onnxruntime", "fp32"),
        "int8": ("onnxruntime", "u8s8"),
    }


def _row(target: str, precision: str, median_ms: float) -> RowResult:
    return RowResult(RowSpec("seg", SIZE, target, precision), latency=Timing("row", (median_ms,), 0))


def test_rows_get_their_operations_rate_and_share_of_their_class_ceiling() -> None:
    best = {"fp32": Ceiling("onnxruntime", "fp32", "fp32", 200.0, 210.0), "int8": Ceiling("onnxruntime", "u8s8", "int8", 500.0, 520.0)}
    fp32, int8, weights_only, bf16 = (_row("onnx", "fp32", 50.0), _row("onnx", "int8", 20.0),
                                      _row("onnx", "int8-weights", 40.0), _row("openvino", "bf16", 25.0))  # fmt: skip
    mediapipe, failed = _row("mediapipe", "fp32", 10.0), RowResult(RowSpec("seg", SIZE, "onnx", "fp16"), status="failed")
    judge([fp32, int8, weights_only, bf16, mediapipe, failed], gflop=5.0, best=best)
    # 5 GFLOP in 50 ms = 100 GOP/s = half of the 200 GOP/s fp32 ceiling.
    assert (fp32.achieved_gops, fp32.ceiling_fraction, fp32.ceiling) == (pytest.approx(100.0), pytest.approx(0.5), "onnxruntime fp32")
    assert (int8.achieved_gops, int8.ceiling_fraction) == (pytest.approx(250.0), pytest.approx(0.5))
    assert weights_only.ceiling == "onnxruntime fp32" and weights_only.ceiling_fraction == pytest.approx(125.0 / 200.0)
    assert bf16.achieved_gops == pytest.approx(200.0) and bf16.ceiling is None and bf16.ceiling_fraction is None  # no bf16 here
    assert mediapipe.gflop is None and failed.gflop is None  # another model; nothing timed


def test_model_operations_match_a_hand_count_of_its_products() -> None:
    """Linear, convolution and attention products counted by hand (2 per multiply-add) on the tiny seg model."""
    model = Weights("seg", arch=TINY_ARCH, seed=1).load(SIZE)
    reference = Reference(official_wrapper(model, SIZE))
    hand = []

    def count(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if isinstance(module, torch.nn.Linear):
            hand.append(2 * output.numel() * module.in_features)
        elif isinstance(module, torch.nn.Conv2d):
            hand.append(2 * output.numel() * module.in_channels // module.groups * int(np.prod(module.kernel_size)))
        elif isinstance(module, torch.nn.ConvTranspose2d):
            hand.append(2 * inputs[0].numel() * module.out_channels // module.groups * int(np.prod(module.kernel_size)))

    hooks = [module.register_forward_hook(count) for module in model.modules()]
    try:
        gflop = reference_gflop(reference)
    finally:
        for hook in hooks:
            hook.remove()
    tokens = 9 + (SIZE[0] // 16) * (SIZE[1] // 16)
    attention = TINY_ARCH["num_layers"] * 2 * 2 * tokens * tokens * TINY_ARCH["embed_dims"]  # q k^T and weights @ v
    assert gflop * 1e9 == pytest.approx(sum(hand) + attention, rel=1e-6)


def test_log_axis_ticks_are_readable_even_on_a_narrow_range() -> None:
    assert log_ticks(40, 1200) == [50, 100, 200, 500, 1000]
    narrow = log_ticks(300, 420)
    assert len(narrow) >= 2 and all(300 <= tick <= 420 for tick in narrow)


def test_bench_settings_are_what_the_ceilings_are_timed_with() -> None:
    settings = BenchSettings(runs=1, warmup=0, threads=1)
    ceilings = measure_ceilings(settings.threads, settings.runs, settings.warmup, shape=SMALL_GEMM)
    assert all(c.to_dict()["runtime"] in ("torch", "onnxruntime", "openvino") for c in ceilings)


def test_each_product_keeps_its_faster_pass_and_records_both() -> None:
    before = [Ceiling("onnxruntime", "fp32", "fp32", 83.0, 112.0), Ceiling("onnxruntime", "u8s8", "int8", 160.0, 170.0),
              Ceiling("openvino", "bf16", "bf16", 0.0, 0.0, "this CPU has no bf16 instructions")]  # fmt: skip
    after = [Ceiling("onnxruntime", "fp32", "fp32", 150.0, 156.0), Ceiling("onnxruntime", "u8s8", "int8", 140.0, 180.0),
             Ceiling("openvino", "bf16", "bf16", 0.0, 0.0, "this CPU has no bf16 instructions")]  # fmt: skip
    fp32, u8s8, bf16 = higher_ceilings([before, after])
    assert (fp32.gops, fp32.best_gops, fp32.passes_gops) == (150.0, 156.0, (83.0, 150.0))
    assert (u8s8.gops, u8s8.best_gops, u8s8.passes_gops) == (160.0, 170.0, (160.0, 140.0))
    assert bf16.reason and bf16.gops == 0
    assert best_ceilings([fp32, u8s8, bf16])["fp32"].gops == 150.0
