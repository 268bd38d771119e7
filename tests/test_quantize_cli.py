"""``sapiens2 quantize BUNDLE``: a quantized bundle derived from an fp32 one, and the user's mistakes.

Mistakes exit with code 2 and one line on stderr, no traceback, and leave nothing at ``--out``
(the accuracy gate alone keeps its report beside it). The model is the official seg fixture cut to
two blocks, to keep the exports quick.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fixture_paths import case_checkpoint, case_json, fixture_layers
from sapiens2.bundle import failed_report_path, read_bundle
from sapiens2.checkpoints import load_model
from torch import nn
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

SEG = case_json("task_seg")
SIZE = "x".join(map(str, SEG["img_size"]))
LOOSE = ["--min-feature-cosine", "0.9", "--min-pixel-agreement", "0.5", "--min-miou", "0.2"]  # random fixture weights


@pytest.fixture(scope="module")
def fp32_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    checkpoint = fixture_layers("task_seg", 2, root / "seg2.safetensors")
    out = root / "seg"
    code, _, stderr = run_cli(["compile", str(checkpoint), "--target", "onnx", "--input-size", SIZE, "--threads", "1", "--out", str(out)])
    assert code == 0, stderr
    return out


@pytest.fixture(scope="module")
def derived(fp32_bundle: Path) -> tuple[Path, str]:
    """``sapiens2 quantize`` with its default --out (BUNDLE-PRECISION beside BUNDLE): the path and stdout."""
    code, stdout, stderr = run_cli(["quantize", str(fp32_bundle), "--precision", "int8-weights", "--calibration-size", "4", "--threads", "1", *LOOSE])
    assert code == 0, stderr
    return fp32_bundle.with_name("seg-int8-weights"), stdout


def test_quantize_derives_from_the_fp32_bundle_and_prints_the_gate(fp32_bundle: Path, derived: tuple[Path, str]) -> None:
    path, stdout = derived
    bundle, fp32 = read_bundle(path, verify=True), read_bundle(fp32_bundle)
    assert (bundle.manifest.precision, bundle.manifest.target, bundle.manifest.source) == ("int8-weights", "onnx", fp32.manifest.source)
    assert bundle.manifest.export == fp32.manifest.export  # the fp32 bundle's compile options, reused
    report = bundle.report()
    # Linears outside the kept groups shrink to a quarter (int8); convolutions and kept layers stay fp32.
    model = load_model(fp32.manifest.source.path)
    kept_prefixes = tuple(f"{group}." for group in report["quantization"]["kept_in_float"])
    quantized = sum(
        m.weight.numel() * 4 for n, m in model.named_modules() if isinstance(m, nn.Linear) and not f"{n}.".startswith(kept_prefixes)
    )
    expected = fp32.manifest.artifact_bytes - 0.75 * quantized
    assert quantized > 0 and abs(bundle.manifest.artifact_bytes - expected) < 0.03 * fp32.manifest.artifact_bytes
    summary = report["accuracy"]["summary"]
    kept = ", ".join(report["quantization"]["kept_in_float"]) or "none"
    assert "quantization: dynamic (onnxruntime" in stdout and f"kept in float: {kept}" in stdout
    assert f"accuracy vs fp32 on {len(report['accuracy']['images'])} held-out images: feature_cosine_min" in stdout
    assert 0.9 < summary["feature_cosine_min"] < 1.0 and summary["miou"] <= summary["pixel_agreement"]
    assert set(report["timings_s"]) >= {"calibrate", "export", "quantize", "verify", "accuracy"}


def test_failed_gate_keeps_the_report_and_writes_no_bundle(fp32_bundle: Path, tmp_path: Path) -> None:
    out = tmp_path / "int8"
    code, _, stderr = run_cli(
        ["quantize", str(fp32_bundle), "--precision", "int4-weights", "--calibration-size", "4", "--float-budget", "0",
         "--min-feature-cosine", "1.0", "--threads", "1", "--out", str(out)]
    )  # fmt: skip
    assert code == 2 and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1].startswith("sapiens2 quantize: error: ") and "feature_cosine" in stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["int8.failed"]
    report = json.loads(failed_report_path(out).read_text())
    assert report["accuracy"]["gate"]["passed"] is False and report["accuracy"]["gate"]["thresholds"]["feature_cosine"] == 1.0
    assert report["quantization"]["sensitivity_scan"] == []  # --float-budget 0 skips the scan


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["{quantized}", "--precision", "int8"], "is a int8-weights bundle; onnx quantize derives from fp32 bundles only"),
        (["{missing}", "--precision", "int8"], "no bundle at"),
        (["{fp32}", "--precision", "int8", "--out", "{fp32}"], "the quantized bundle needs its own --out"),
        (["{fp32}", "--precision", "int8", "--out", "{quantized}"], "already exists: choose another --out or pass --overwrite"),
        (["{fp32}", "--precision", "int8", "--float-budget", "1.5"], "the float budget in [0, 1)"),
        (["{fp32}", "--precision", "int8", "--min-miou", "2"], "accuracy threshold miou must be in [0, 1]"),
        (["{fp32}", "--precision", "int8", "--calibration", "{missing}"], "calibration source {missing} does not exist"),
        (["{fp32}", "--precision", "int8", "--checkpoint", "{other}"], "is not the one the bundle was compiled from"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(
    fp32_bundle: Path, derived: tuple[Path, str], tmp_path: Path, arguments: list[str], message: str
) -> None:
    paths = {"fp32": fp32_bundle, "quantized": derived[0], "missing": tmp_path / "missing", "other": case_checkpoint("task_pose")}
    argv = [argument.format(**paths) for argument in arguments]
    out = tmp_path / "out"
    before = sorted(fp32_bundle.parent.iterdir())
    code, stdout, stderr = run_cli(["quantize", *argv, "--threads", "1", *(["--out", str(out)] if "--out" not in argv else [])])
    assert code == 2 and "Traceback" not in stderr and stdout == ""
    assert stderr.strip().splitlines()[-1].startswith("sapiens2 quantize: error: ") and message.format(**paths) in stderr
    assert not out.exists() and not any(tmp_path.glob("*.failed"))
    assert sorted(fp32_bundle.parent.iterdir()) == before  # nothing half-written beside the bundles either


def test_a_lowered_executorch_program_cannot_be_quantized(fp32_bundle: Path, tmp_path: Path) -> None:
    """ExecuTorch quantizes before lowering: its fp32 bundle is refused before any work (a copied manifest suffices)."""
    bundle = tmp_path / "et"
    shutil.copytree(fp32_bundle, bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["target"] = "executorch"
    manifest["runtime"]["name"] = "executorch"
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    code, _, stderr = run_cli(["quantize", str(bundle), "--precision", "int8", "--out", str(tmp_path / "out")])
    assert code == 2 and "executorch quantizes before lowering" in stderr and "compile with --precision int8" in stderr
    assert not (tmp_path / "out").exists()
