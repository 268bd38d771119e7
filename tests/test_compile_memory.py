"""The memory check: a compile whose weights cannot fit stops with the figures instead of an OOM kill."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sapiens2.compile import CompileError, CompileOptions
from sapiens2.compile import memory
from sapiens2.compile.source import random_weights_model
from test_compile_cli import TINY_SEG, assert_refused, one_torch_thread  # noqa: F401 - fixture


def test_available_memory_is_read_from_the_kernel() -> None:
    available = memory.available_bytes()
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    swap = (
        int(next(line for line in memory.MEMINFO.read_text().splitlines() if line.startswith("SwapTotal:")).split()[1])
        * 1024
    )
    assert available is not None and 0 < available <= physical + swap


def test_the_runtime_copy_is_counted_at_the_artifact_precision() -> None:
    parameters = 1_000_000
    assert memory.runtime_copy_bytes(parameters, CompileOptions("onnx")) == 4_000_000
    assert memory.runtime_copy_bytes(parameters, CompileOptions("openvino", precision="fp16")) == 2_000_000
    assert (
        memory.runtime_copy_bytes(parameters, CompileOptions("onnx", precision="int8")) == 4_000_000
    )  # quantizers read fp32


TINY_ARCH_SPEC = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}


def test_a_model_too_big_for_the_memory_left_is_refused_with_the_figures() -> None:
    model, _ = random_weights_model("seg", TINY_ARCH_SPEC, (64, 48))
    parameters = sum(p.numel() for p in model.parameters())
    quantized = CompileOptions("onnx", (64, 48), precision="int8")
    memory.check_memory(model, quantized, available=4 * parameters)  # exactly enough beside the kept model: passes
    with pytest.raises(
        CompileError, match=r"not enough memory .* for onnx int8: verifying opens the artifact with 0\.0 GB of weights beside"
    ):
        memory.check_memory(model, quantized, available=4 * parameters - 1)


def test_a_float_compile_counts_the_pytorch_weights_it_frees() -> None:
    model, _ = random_weights_model("seg", TINY_ARCH_SPEC, (64, 48))
    fp32, fp16 = CompileOptions("onnx", (64, 48)), CompileOptions("openvino", (64, 48), precision="fp16")
    memory.check_memory(model, fp32, available=0)  # the runtime's fp32 copy takes the place of the freed PyTorch one
    memory.check_memory(model, fp16, available=0)
    with pytest.raises(CompileError, match="after freeing .* --stream-weights keeps the PyTorch weights on disk"):
        memory.check_memory(model, fp32, available=-1)


def test_cli_refuses_before_exporting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "available_bytes", lambda: 1_000_000)
    # int8: the PyTorch model stays for the accuracy gate, so nothing is freed for the runtime's copy.
    assert_refused(tmp_path, ["compile", "--target", "onnx", "--precision", "int8", *TINY_SEG], "not enough memory to compile")
