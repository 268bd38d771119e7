"""``sapiens2 compile`` exit codes and messages, random weights, and the fidelity gate's atomicity."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sapiens2.bundle import failed_report_path, read_bundle
from sapiens2.cli import main as cli_main
from sapiens2.targets.onnx.exporter import parameter_bytes
from sapiens2.compile.source import random_weights_model
from sapiens2.threads import torch_threads

TINY_ARCH = "64,2,4,256,2"
TINY_SEG = ["--arch", TINY_ARCH, "--task", "seg", "--random-weights", "--input-size", "64x48", "--threads", "1"]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread() -> Iterator[None]:
    """PyTorch with one thread: with two, OpenMP waits on cores other jobs hold and tiny models run ~100x slower."""
    with torch_threads(1):
        yield


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """Run ``sapiens2 ARGV`` in-process with this module's commands registered: (exit code, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    commands = tuple(dict.fromkeys((*cli_main.COMMAND_MODULES, "compile_cmd", "bench_cmd")))
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        patch.setattr(cli_main, "COMMAND_MODULES", commands)
        code = cli_main.main(argv)
    return code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compile", "--target", "onnx"], "no CHECKPOINT given: pass a task checkpoint, or --arch A --task T --random-weights"),
        (["compile", "model.safetensors", "--target", "onnx", *TINY_SEG], "either a CHECKPOINT or --random-weights"),
        (["compile", "--target", "onnx", "--random-weights", "--task", "pose"], "--random-weights needs --arch and --task"),
        (["compile", "--target", "onnx", *TINY_SEG, "--input-size", "100x77"], "must be positive multiples of 16"),
        (["compile", "--target", "onnx", *TINY_SEG, "--input-size", "big"], "must look like HEIGHTxWIDTH"),
        (["compile", "--target", "onnx", "--precision", "bf16", *TINY_SEG], "ONNX Runtime CPU has no bf16 kernels"),
        (["compile", "--target", "onnx", "--arch", "64,2,4", "--task", "seg", "--random-weights"], "five integers"),
        (["compile", "--target", "onnx", "--arch", "sapiens2_2b", "--task", "seg", "--random-weights"], "unknown arch"),
        (["compile", "missing.safetensors", "--target", "onnx"], "checkpoint not found: missing.safetensors"),
        (["compile", "--target", "onnx", *TINY_SEG, "--min-cosine", "1.5"], "--min-cosine must be in (0, 1]"),
        (["compile", "--target", "onnx", *TINY_SEG, "--task", "normal", "--decode"], "--decode exists for pose and seg"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(tmp_path: Path, argv: list[str], message: str) -> None:
    assert_refused(tmp_path, argv, message)


def assert_refused(tmp_path: Path, argv: list[str], message: str) -> None:
    """``sapiens2 ARGV --out DIR`` exits 2 with one error line naming ``message`` and writes nothing."""
    out = tmp_path / "bundle"
    code, _, stderr = run_cli([*argv, "--out", str(out)])
    assert code == 2
    assert stderr.strip().splitlines()[-1].startswith(f"sapiens2 {argv[0]}: error: ")
    assert message in stderr and "Traceback" not in stderr
    assert not out.exists()


def test_fp16_onnx_needs_its_converter() -> None:
    pytest.importorskip("onnx")
    try:
        import onnxconverter_common  # noqa: F401
    except ImportError:
        code, _, stderr = run_cli(["compile", "--target", "onnx", "--precision", "fp16", *TINY_SEG])
        assert code == 2 and "pip install onnxconverter-common" in stderr
    else:
        pytest.skip("onnxconverter-common is installed: fp16 ONNX is available")


def test_failed_gate_writes_no_bundle_but_keeps_the_report(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    # fp16 weights cannot reach cosine 1.0 against the fp32 reference, so this gate must fail.
    code, _, stderr = run_cli(["compile", "--target", "openvino", "--precision", "fp16", *TINY_SEG, "--min-cosine", "1.0", "--out", str(out)])
    assert code == 2
    assert "fails the fidelity gate: cosine 0.99" in stderr and "< 1.0" in stderr
    assert f"no bundle written, report kept at {failed_report_path(out)}" in stderr.replace("\n", "")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.failed"]  # no staging directory left
    report = json.loads(failed_report_path(out).read_text())
    assert report["gate"]["passed"] is False and report["gate"]["min_cosine"] == 1.0
    assert report["summary"]["vs_reference"]["cosine"] < 1.0


def test_random_weights_warn_and_are_recorded(tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    code, stdout, stderr = run_cli(
        ["compile", "--target", "openvino", "--precision", "fp16", "--dynamic-batch", "--deconv", "native", *TINY_SEG, "--seed", "7", "--out", str(out)]
    )
    assert code == 0, stderr
    assert "WARNING: compiling RANDOM weights" in stderr and "WARNING: random weights" in stdout
    # stderr is not a terminal here: each stage is a line (rich would draw nothing), in order.
    stages = [line.split("s  ", 1)[1] for line in stderr.splitlines() if line.strip().split("s  ")[0].replace(".", "").isdigit()]
    assert stages == ["build/load the model", "export the artifact", "verify against PyTorch", "write the bundle", "done"]
    bundle = read_bundle(out)
    manifest = bundle.manifest
    assert manifest.random_weights and manifest.source.seed == 7 and manifest.source.sha256 is None
    assert json.loads((out / "manifest.json").read_text())["random_weights"] is True
    assert manifest.arch == dict(zip(("embed_dims", "num_layers", "num_heads", "feedforward_channels", "num_tokenizer_layers"), (64, 2, 4, 256, 2)))
    assert manifest.precision == "fp16" and manifest.runtime.settings["INFERENCE_PRECISION_HINT"] == "f32"
    assert manifest.export.deconv == "native"  # not OpenVINO's default: the seg head's four deconvs went out as they are
    model, _ = random_weights_model("seg", manifest.arch, (64, 48))
    weights = next(a for a in manifest.artifacts if a.file == "model.bin")
    assert 0.45 < weights.bytes / parameter_bytes(model) < 0.55  # fp16-compressed weights: half the fp32 size
    report = bundle.report()
    assert report["summary"]["vs_reference"]["cosine"] >= 0.999
    assert manifest.inputs[0].shape[0] == "batch" and {s["batch_size"] for s in report["samples"]} == {2}  # 2 packaged photos, 2 noise images
