"""Bench: alternate timing, and a bundle against its eager reference rebuilt from the recorded checkpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import save_file
from sapiens2.bench import peak_rss_bytes, reset_peak_rss, rss_bytes, time_alternately
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.compile.source import random_weights_model
from sapiens2.targets import Runtime, open_bundle
from test_bundle_manifest import seg_manifest
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

TINY_ARCH = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}


class Recorder(Runtime):
    """A runtime that only records that it was called."""

    name = "recorder"

    def __init__(self, label: str, calls: list[str]) -> None:
        super().__init__(seg_manifest())
        self.label, self.calls = label, calls

    @classmethod
    def available(cls) -> tuple[bool, str]:
        return True, ""

    @classmethod
    def version(cls) -> str:
        return "0"

    @classmethod
    def load(cls, directory, manifest, **options):
        raise NotImplementedError

    def _run(self, batch):
        self.calls.append(self.label)
        return [np.zeros((1, 29, 128, 96), np.float32)]


def test_runtimes_alternate_after_warmup() -> None:
    calls: list[str] = []
    batch = {"image": np.zeros((1, 3, 128, 96), np.float32)}
    timings = time_alternately({"a": Recorder("A", calls), "b": Recorder("B", calls)}, batch, runs=3, warmup=1)
    assert "".join(calls) == "AB" * 4  # one warm-up round, then three timed rounds, A B A B
    assert [len(t.latencies_ms) for t in timings.values()] == [3, 3]
    assert all(t.peak_rss_bytes > 0 for t in timings.values())
    assert timings["a"].median_ms == sorted(timings["a"].latencies_ms)[1]


def test_peak_rss_can_be_reset() -> None:
    if not reset_peak_rss():
        pytest.skip("this OS does not allow resetting the peak RSS")
    block = np.ones(64 * 2**20, np.uint8)  # +64 MiB resident
    peak_with_block = peak_rss_bytes()
    del block
    assert reset_peak_rss()
    assert peak_rss_bytes() < peak_with_block
    assert abs(peak_rss_bytes() - rss_bytes()) < 16 * 2**20


@pytest.fixture(scope="module")
def checkpoint_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny seg checkpoint on disk and its ONNX bundle."""
    root = tmp_path_factory.mktemp("bench")
    model, _ = random_weights_model("seg", TINY_ARCH, (64, 48), seed=1)
    checkpoint = root / "seg.safetensors"
    save_file(model.state_dict(), checkpoint)
    options = CompileOptions(target="onnx", input_size=(64, 48), threads=1)
    return checkpoint, compile_bundle(from_checkpoint(checkpoint), options, root / "bundle").path


def test_bench_command_reports_both_runtimes(checkpoint_bundle: tuple[Path, Path]) -> None:
    _, bundle = checkpoint_bundle
    code, stdout, stderr = run_cli(["bench", str(bundle), "--runs", "3", "--warmup", "1", "--threads", "1", "--json"])
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["bundle_runtime"]["name"] == "onnxruntime" and result["eager"]["name"] == "torch-eager"
    assert len(result["bundle_runtime"]["latencies_ms"]) == len(result["eager"]["latencies_ms"]) == 3
    assert result["speedup"] == pytest.approx(result["eager"]["median_ms"] / result["bundle_runtime"]["median_ms"])
    assert result["input_sample"] == "astronaut.png" and result["input_shape"] == [1, 3, 64, 48]
    assert result["agreement"]["cosine"] > 0.9999  # the eager side is the very model the bundle came from
    assert result["artifact_bytes"] == (bundle / "model.onnx").stat().st_size
    code, stdout, _ = run_cli(["bench", str(bundle), "--runs", "1", "--warmup", "0", "--threads", "1"])
    assert code == 0 and "onnxruntime" in stdout and "torch-eager" in stdout and "vs eager" in stdout


def test_eager_reference_needs_the_same_checkpoint(checkpoint_bundle: tuple[Path, Path], tmp_path: Path) -> None:
    checkpoint, bundle = checkpoint_bundle
    moved = shutil.copy(checkpoint, tmp_path / "moved.safetensors")
    code, _, stderr = run_cli(["bench", str(bundle), "--runs", "1", "--checkpoint", str(tmp_path / "absent.safetensors")])
    assert code == 2 and "is not here: pass the checkpoint path" in stderr
    other, _ = random_weights_model("seg", TINY_ARCH, (64, 48), seed=2)
    save_file(other.state_dict(), tmp_path / "other.safetensors")
    code, _, stderr = run_cli(["bench", str(bundle), "--runs", "1", "--checkpoint", str(tmp_path / "other.safetensors")])
    assert code == 2 and "is not the one the bundle was compiled from" in stderr
    eager = open_bundle(bundle, target="torch", checkpoint=moved, threads=1)
    assert eager.name == "torch-eager"
    image = np.zeros((1, 3, 64, 48), np.float32)
    np.testing.assert_allclose(eager.run({"image": image})["logits"], open_bundle(bundle, threads=1).run({"image": image})["logits"], atol=1e-4)


def test_bench_rejects_bad_counts(checkpoint_bundle: tuple[Path, Path]) -> None:
    code, _, stderr = run_cli(["bench", str(checkpoint_bundle[1]), "--runs", "0"])
    assert code == 2 and "--runs and --threads must be >= 1" in stderr
    code, _, stderr = run_cli(["bench", "/nonexistent/bundle"])
    assert code == 2 and "no bundle at /nonexistent/bundle" in stderr
