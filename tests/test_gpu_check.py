"""scripts/gpu_check.py: its CPU dry-run path with tiny models, and its refusal without CUDA.

Run as the script it is (a subprocess): it starts a uvicorn server, whose logging set-up has no
business in the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from serve_helpers import free_port

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"


def gpu_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600)


def test_the_dry_run_serves_a_tiny_model_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    args = ["--dry-run", "--cases", "tiny-4k", "--batches", "1,2", "--iters", "1", "--rounds", "1", "--peak-tflops", "1"]
    done = gpu_check(*args, "--port", str(free_port()), "--out", str(out))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [json.loads(line) for line in done.stdout.splitlines()]
    assert [(row["case"], row["batch"], row["input_size"]) for row in rows] == [("tiny-4k", 1, "256x192"), ("tiny-4k", 2, "256x192")]
    for row in rows:
        assert row["served_images_per_s"] > 0 and row["model_images_per_s"] > 0 and row["gflops_per_image"] > 0
        # MFU is model FLOPs x images/s over the peak (1 TFLOP/s here), from the row's own figures.
        assert row["mfu"] == pytest.approx(row["gflops_per_image"] * 1e9 * row["model_images_per_s"] / 1e12, rel=0.01, abs=1e-4)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_without_cuda_it_refuses_clearly() -> None:
    done = gpu_check()
    assert done.returncode == 2 and "no CUDA GPU visible" in done.stderr
