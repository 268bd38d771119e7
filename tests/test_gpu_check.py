"""scripts/gpu_check.py: its CPU dry-run path with tiny models, and its refusal without CUDA."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

from serve_helpers import free_port

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"


@pytest.fixture(scope="module")
def gpu_check():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_dry_run_serves_a_tiny_model_and_reports_every_figure(gpu_check, tmp_path: Path, capsys) -> None:
    out = tmp_path / "rows.jsonl"
    args = ["--dry-run", "--cases", "tiny-4k", "--batches", "1,2", "--iters", "1", "--rounds", "1", "--peak-tflops", "1"]
    assert gpu_check.main([*args, "--port", str(free_port()), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["case"], row["batch"], row["input_size"]) for row in rows] == [("tiny-4k", 1, "256x192"), ("tiny-4k", 2, "256x192")]
    for row in rows:
        assert row["served_images_per_s"] > 0 and row["model_images_per_s"] > 0 and row["gflops_per_image"] > 0
        # MFU is model FLOPs x images/s over the peak (1 TFLOP/s here), from the row's own figures.
        assert row["mfu"] == pytest.approx(row["gflops_per_image"] * 1e9 * row["model_images_per_s"] / 1e12, rel=0.01, abs=1e-4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_cuda_it_refuses_clearly(gpu_check, capsys) -> None:
    assert gpu_check.main([]) == 2
    assert "no CUDA GPU visible" in capsys.readouterr().err
