"""``sapiens2 bench`` end to end: a matrix compiled into a cache (and reused), the JSON report and
its schema, the Markdown table and PNG charts, unavailable rows, and the BUNDLE form."""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread
from safetensors.torch import save_file
from sapiens2.bench import BENCH_SCHEMA, BenchSettings, BundleCache, Weights, expand_matrix, run_matrix, validate_report
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.compile.source import random_weights_model
from sapiens2.targets import open_bundle
from sapiens2.targets.onnx.runtime import OnnxRuntime
from fixture_paths import case_checkpoint
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

TINY = "64,2,4,256,2"
TINY_ARCH = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
MATRIX = ["bench", "--arch", TINY, "--tasks", "seg", "--random-weights", "--sizes", "64x48", "--targets", "torch,onnx"]
FAST = ["--runs", "2", "--warmup", "1", "--threads", "1"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def matrix_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same matrix twice on one cache: the first run compiles, the second reuses."""
    root = tmp_path_factory.mktemp("bench-cli")
    argv = [*MATRIX, "--precisions", "fp32,bf16", *FAST, "--cache", str(root / "cache"), "--json"]
    first = run_cli([*argv, "--out", str(root / "out")])
    second = run_cli(argv)
    return {"root": root, "first": first, "second": second}


def _rows(stdout: str) -> dict[str, dict[str, Any]]:
    return {row["label"]: row for row in json.loads(stdout)["rows"]}


def test_matrix_report_follows_the_schema(matrix_run: dict[str, Any]) -> None:
    code, stdout, stderr = matrix_run["first"]
    assert code == 0, stderr
    report = json.loads(stdout)
    validate_report(report)
    assert set(report["rows"][0]) == set(BENCH_SCHEMA["properties"]["rows"]["items"]["properties"])
    assert report["settings"] | {"runs": 2, "warmup": 1, "batch": 1, "threads": 1} == report["settings"]
    assert report["settings"]["timed_input"] == "astronaut.png"
    assert report["machine"]["cores"] >= 1 and "onnxruntime" in report["machine"]["versions"]
    assert "WARNING: benchmarking RANDOM weights" in stderr
    assert list(_rows(stdout)) == ["torch fp32", "torch bf16", "onnx fp32", "onnx bf16"]


def test_matrix_rows_hold_paired_timings_size_and_fidelity(matrix_run: dict[str, Any]) -> None:
    rows = _rows(matrix_run["first"][1])
    reference, onnx = rows["torch fp32"], rows["onnx fp32"]
    # The reference against itself: the cosine of one array with itself, 1 up to float64 rounding.
    assert reference["reference"] and reference["speedup"] == 1.0 and reference["fidelity"]["cosine"] == pytest.approx(1.0, abs=1e-12)
    assert onnx["status"] == "ok" and onnx["runtime"] == "onnxruntime" and onnx["cached"] is False
    assert onnx["fidelity_source"] == "recomputed"
    runs, reference_runs = onnx["latency_ms"]["runs"], onnx["reference_latency_ms"]["runs"]
    assert len(runs) == len(reference_runs) == 2
    assert onnx["latency_ms"]["median"] == pytest.approx(statistics.median(runs))
    assert onnx["speedup"] == pytest.approx(statistics.median(r / c for r, c in zip(reference_runs, runs)))
    bundle = Path(onnx["bundle"])
    assert onnx["artifact_bytes"] == (bundle / "model.onnx").stat().st_size
    compile_report = json.loads((bundle / "report.json").read_text())
    assert onnx["compile_s"] == compile_report["compile_s"] and onnx["report_fidelity"] == compile_report["summary"]
    # fp32 RoPE tables vs the reference's bf16 RoPE on near-identity random weights: close, not exact.
    assert 0.9999 < onnx["fidelity"]["cosine"] < 1.0 and onnx["fidelity"]["pixel_agreement"] > 0.99
    assert onnx["peak_rss_bytes"] > max(onnx["added_rss_bytes"], 0)  # the peak includes the reference model


def test_rows_are_judged_against_this_cpus_gemm_ceilings(matrix_run: dict[str, Any]) -> None:
    report = json.loads(matrix_run["first"][1])
    ceilings = {(c["runtime"], c["precision"]): c for c in report["machine"]["ceilings"]}
    assert ceilings[("onnxruntime", "fp32")]["gops"] > 0 and ceilings[("onnxruntime", "u8s8")]["gops"] > 0
    fp32 = ceilings[("onnxruntime", "fp32")]
    assert len(fp32["passes_gops"]) == 2 and fp32["gops"] == max(fp32["passes_gops"])  # before and after the rows
    best_fp32 = max(c["gops"] for c in ceilings.values() if c["precision_class"] == "fp32" and c["reason"] is None)
    rows = _rows(matrix_run["first"][1])
    reference, onnx = rows["torch fp32"], rows["onnx fp32"]
    assert reference["gflop"] == onnx["gflop"] > 0  # counted once per model and size
    assert onnx["achieved_gops"] == pytest.approx(onnx["gflop"] / (onnx["latency_ms"]["median"] / 1000))
    assert onnx["ceiling_fraction"] == pytest.approx(onnx["achieved_gops"] / best_fp32)
    assert rows["onnx bf16"]["gflop"] is None  # not timed
    assert "Ceilings (GEMM 3072x768x3072" in (matrix_run["root"] / "out" / "bench.md").read_text()


def test_rows_that_cannot_be_built_carry_the_reason(matrix_run: dict[str, Any]) -> None:
    rows = _rows(matrix_run["first"][1])
    assert rows["onnx bf16"]["status"] == "unavailable" and "ONNX Runtime CPU has no bf16 kernels" in rows["onnx bf16"]["reason"]
    assert rows["torch bf16"]["status"] == "unavailable" and rows["torch bf16"]["latency_ms"] is None


def test_second_run_reuses_the_cached_bundle(matrix_run: dict[str, Any]) -> None:
    code, stdout, stderr = matrix_run["second"]
    assert code == 0, stderr
    first, second = _rows(matrix_run["first"][1])["onnx fp32"], _rows(stdout)["onnx fp32"]
    assert second["cached"] is True and second["bundle"] == first["bundle"]
    assert second["compile_s"] == first["compile_s"]  # the compile time recorded when it was built
    assert [path.name for path in (matrix_run["root"] / "cache").iterdir()] == [Path(first["bundle"]).name]


def test_out_folder_gets_json_table_and_charts(matrix_run: dict[str, Any]) -> None:
    out = matrix_run["root"] / "out"
    assert json.loads((out / "bench.json").read_text())["rows"] == json.loads(matrix_run["first"][1])["rows"]
    table = (out / "bench.md").read_text()
    assert "**seg 64x48**" in table and "| onnx fp32 |" in table and "ONNX Runtime CPU has no bf16 kernels" in table
    assert "Fastest bundle that passed its gates (what --precision auto aims for): seg 64x48: onnx fp32 (" in table  # the only bundle
    for name in ("latency_vs_fidelity.png", "latency_by_target.png", "throughput_vs_ceiling.png"):
        path = out / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE and path.stat().st_size > 20_000
        pixels = imread(path)
        assert pixels.shape[0] > 300 and pixels.shape[1] > 500
        assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50  # drawn, not blank
    assert sorted(path.name for path in out.iterdir()) == [
        "bench.json", "bench.md", "latency_by_target.png", "latency_vs_fidelity.png", "throughput_vs_ceiling.png"
    ]


def test_terminal_table_names_every_row(matrix_run: dict[str, Any]) -> None:
    code, stdout, stderr = run_cli([*MATRIX, *FAST, "--cache", str(matrix_run["root"] / "cache")])
    assert code == 0, stderr
    assert "seg 64x48" in stdout and "onnx fp32" in stdout and "vs eager" in stdout and "cached bundle" in stdout


def test_runtime_missing_here_keeps_what_the_bundle_tells(matrix_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OnnxRuntime, "available", classmethod(lambda cls: (False, "onnxruntime is not installed")))
    specs = expand_matrix(["seg"], [(64, 48)], ["onnx"], ["fp32"])
    weights = {"seg": Weights("seg", arch=TINY_ARCH, seed=0)}
    report = run_matrix(specs, weights, BenchSettings(runs=1, warmup=0, threads=1), BundleCache(matrix_run["root"] / "cache"))
    row = report.rows[1]
    assert row.status == "unavailable" and row.reason == "onnxruntime does not run here: onnxruntime is not installed"
    assert row.cached and row.artifact_bytes > 0 and row.compile_s > 0 and row.latency is None
    # What the bundle's compile report measured stands in for the fidelity this run could not measure.
    report = json.loads((Path(row.bundle) / "report.json").read_text())
    assert row.fidelity == report["summary"]["vs_official"] and row.fidelity_source == "report.json"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--runs", "0", "--arch", TINY, "--tasks", "seg", "--random-weights"], "--runs, --batch and --threads must be >= 1"),
        (["bench"], "nothing to bench: give BUNDLEs, --checkpoint C"),
        (["bench", "--random-weights", "--tasks", "seg"], "--random-weights needs --arch and --tasks"),
        ([*MATRIX, "--precisions", "fp64"], "unknown precision 'fp64'"),
        ([*MATRIX[:-1], "tflite"], "unknown target 'tflite'"),
        (["bench", "bundle-dir", "--targets", "onnx"], "--targets build a matrix from weights"),
        (["bench", "/nonexistent/bundle"], "no bundle at /nonexistent/bundle"),
    ],
)
def test_user_mistakes_exit_2(argv: list[str], message: str) -> None:
    code, _, stderr = run_cli(argv)
    assert code == 2 and message in stderr and "Traceback" not in stderr


def test_checkpoint_names_its_task() -> None:
    checkpoint = str(case_checkpoint("task_seg"))
    code, stdout, stderr = run_cli(["bench", "--checkpoint", checkpoint, "--targets", "torch", "--sizes", "64x48", *FAST, "--json"])
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["settings"]["weights"] == {"seg": checkpoint}
    assert [row["label"] for row in report["rows"]] == ["torch fp32"] and report["rows"][0]["task"] == "seg"
    code, _, stderr = run_cli(["bench", "--checkpoint", checkpoint, "--tasks", "pose"])
    assert code == 2 and "a checkpoint holds its own task and arch" in stderr


@pytest.fixture(scope="module")
def checkpoint_bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny seg checkpoint on disk and its ONNX bundle."""
    root = tmp_path_factory.mktemp("bench-bundle")
    model, _ = random_weights_model("seg", TINY_ARCH, (64, 48), seed=1)
    checkpoint = root / "seg.safetensors"
    save_file(model.state_dict(), checkpoint)
    options = CompileOptions(target="onnx", input_size=(64, 48), threads=1)
    return checkpoint, compile_bundle(from_checkpoint(checkpoint), options, root / "bundle").path


def test_bench_bundle_against_its_reference(checkpoint_bundle: tuple[Path, Path]) -> None:
    _, bundle = checkpoint_bundle
    code, stdout, stderr = run_cli(["bench", str(bundle), *FAST, "--json"])
    assert code == 0, stderr
    reference, row = json.loads(stdout)["rows"]
    assert reference["reference"] and reference["runtime"] == "torch-eager"
    assert (row["target"], row["runtime"], row["bundle"], row["cached"]) == ("onnx", "onnxruntime", str(bundle), None)
    assert row["artifact_bytes"] == (bundle / "model.onnx").stat().st_size
    assert row["fidelity"]["cosine"] > 0.9999  # the reference is the very checkpoint the bundle came from
    assert row["throughput_note"] is None  # batch 1 asked: a fixed-batch bundle is not worth a remark
    code, stdout, stderr = run_cli(["bench", str(bundle), "--runs", "1", "--warmup", "0", "--threads", "1", "--batch", "2"])
    assert code == 0 and "onnx fp32" in stdout and "fixed batch of 1" in stdout


def test_eager_reference_needs_the_same_checkpoint(checkpoint_bundle: tuple[Path, Path], tmp_path: Path) -> None:
    checkpoint, bundle = checkpoint_bundle
    moved = shutil.copy(checkpoint, tmp_path / "moved.safetensors")
    code, _, stderr = run_cli(["bench", str(bundle), "--runs", "1", "--checkpoint", str(tmp_path / "absent.safetensors")])
    assert code == 2 and "is not here: pass the checkpoint path" in stderr
    other, _ = random_weights_model("seg", TINY_ARCH, (64, 48), seed=2)
    save_file(other.state_dict(), tmp_path / "other.safetensors")
    code, _, stderr = run_cli(["bench", str(bundle), "--runs", "1", "--checkpoint", str(tmp_path / "other.safetensors")])
    assert code == 2 and "is not the one the bundle was compiled from" in stderr
    code, stdout, stderr = run_cli(["bench", str(bundle), *FAST, "--checkpoint", str(moved), "--json"])
    assert code == 0, stderr
    image = np.zeros((1, 3, 64, 48), np.float32)
    eager = open_bundle(bundle, target="torch", checkpoint=moved, threads=1)
    np.testing.assert_allclose(eager.run({"image": image})["logits"], open_bundle(bundle, threads=1).run({"image": image})["logits"], atol=1e-4)


def test_placement_from_the_compile_report(checkpoint_bundle: tuple[Path, Path], tmp_path: Path) -> None:
    """A report's ``placement`` (written by delegating targets such as ExecuTorch) gives the delegated share."""
    bundle = Path(shutil.copytree(checkpoint_bundle[1], tmp_path / "bundle"))
    report = json.loads((bundle / "report.json").read_text())
    # The shape of sapiens2.compile.placement.placement_report, as an ExecuTorch bundle's report holds it.
    placement = {"delegates": {"XnnpackBackend": 1}, "delegated_ops": 981, "portable_ops": 327, "portable_gated": {}}
    (bundle / "report.json").write_text(json.dumps(report | {"placement": placement}))
    code, stdout, stderr = run_cli(["bench", str(bundle), "--runs", "1", "--warmup", "0", "--threads", "1", "--json"])
    assert code == 0, stderr
    row = json.loads(stdout)["rows"][1]
    assert row["placement"] == placement and row["delegated_share"] == pytest.approx(0.75)
    code, stdout, _ = run_cli(["bench", str(bundle), "--runs", "1", "--warmup", "0", "--threads", "1"])
    assert code == 0 and " 75% " in stdout
