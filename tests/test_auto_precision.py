"""``--precision auto``: candidates from the CPU's flags and the target's table, fall-through on a failed gate, the record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fixture_paths import case_checkpoint, case_json
from sapiens2.bundle import failed_report_path, read_bundle
from sapiens2.compile import CompileOptions, FidelityGateError, compile_bundle, from_checkpoint
from sapiens2.compile import auto_precision, pipeline
from sapiens2.compile.auto_precision import compile_auto, precision_candidates, skipped_precisions
from sapiens2.targets import get_target
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

SEG = case_checkpoint("task_seg")
SIZE = "x".join(str(side) for side in case_json("task_seg")["img_size"])
ZEN3 = ["avx2"]  # AVX2 only: no VNNI, no BF16
ICELAKE = ["avx2", "avx512f", "avx512_vnni"]
ZEN4 = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16"]
SAPPHIRE_RAPIDS = ["avx2", "avx512f", "amx_tile", "amx_bf16", "amx_int8"]
ALDER_LAKE = ["avx2", "avx_vnni"]


@pytest.mark.parametrize(
    ("target", "flags", "expected"),
    [
        ("openvino", [], ["fp32"]),
        ("openvino", ZEN3, ["fp32"]),
        ("openvino", ICELAKE, ["int8", "fp32"]),
        ("openvino", ALDER_LAKE, ["int8", "fp32"]),
        ("openvino", ZEN4, ["int8", "bf16", "fp32"]),
        ("openvino", SAPPHIRE_RAPIDS, ["int8", "bf16", "fp32"]),
        ("openvino", ["avx512_bf16"], ["bf16", "fp32"]),
        ("onnx", ZEN3, ["fp32"]),
        ("onnx", ICELAKE, ["int8", "fp32"]),
        ("onnx", ZEN4, ["int8", "fp32"]),  # ONNX Runtime has no bf16 CPU kernels
        ("onnx", SAPPHIRE_RAPIDS, ["int8", "fp32"]),
        ("executorch", ZEN4, ["fp32"]),
        ("coreml", SAPPHIRE_RAPIDS, ["fp32"]),
    ],
)
def test_candidates_follow_the_cpu_and_the_target(target: str, flags: list[str], expected: list[str]) -> None:
    candidates = precision_candidates(get_target(target).capabilities, flags)
    assert [candidate.precision for candidate in candidates] == expected
    for candidate in candidates[:-1]:  # each fast candidate names CPU flags this CPU has
        named = candidate.why.removeprefix("the CPU has ").split(", ")
        assert named and set(named) <= set(flags)


def test_candidates_say_which_flag_makes_them_fast_and_what_is_missing() -> None:
    capabilities = get_target("openvino").capabilities
    int8, bf16, fp32 = precision_candidates(capabilities, SAPPHIRE_RAPIDS)
    assert bf16.why == "the CPU has amx_bf16" and int8.why == "the CPU has amx_int8" and "exact" in fp32.why
    assert skipped_precisions(capabilities, ZEN3) == {
        "int8": "needs one of avx512_vnni, avx_vnni, amx_int8",
        "bf16": "needs one of avx512_bf16, amx_bf16",
    }
    assert skipped_precisions(capabilities, ZEN4) == {}


def failing(*precisions: str) -> Any:
    """A stand-in ``compile_one`` whose artifact fails its gate at ``precisions``; it logs what it was asked."""
    asked: list[tuple[str, dict[str, Any]]] = []

    def compile_one(options: CompileOptions, choice: dict[str, Any]) -> str:
        asked.append((options.precision, choice))
        if options.precision in precisions:
            raise FidelityGateError(f"{options.precision} artifact fails the fidelity gate: cosine 0.5 < 0.9", Path("kept"))
        return f"bundle at {options.precision}"

    compile_one.asked = asked
    return compile_one


def test_a_failed_gate_falls_through_to_the_next_candidate() -> None:
    compile_one, said = failing("int8"), []
    result = compile_auto(compile_one, CompileOptions("openvino", precision="auto"), flags=ZEN4, say=said.append)
    assert result == "bundle at bf16"
    assert [precision for precision, _ in compile_one.asked] == ["int8", "bf16"]
    choice = compile_one.asked[-1][1]
    assert choice["requested"] == "auto" and choice["chosen"] == "bf16" and choice["cpu_flags"] == ZEN4
    assert choice["failed"] == [{"precision": "int8", "failure": "int8 artifact fails the fidelity gate: cosine 0.5 < 0.9"}]
    assert "int8 failed its gate" in choice["reason"]
    assert any("int8 failed its gate: int8 artifact fails the fidelity gate: cosine 0.5" in line for line in said)
    assert said[-1] == "  chose bf16: the CPU has avx512_bf16; int8 failed its gate"


def test_fp32_failing_is_an_error_not_a_silent_choice() -> None:
    compile_one = failing("int8", "fp32")
    with pytest.raises(FidelityGateError, match="fp32 artifact fails"):
        compile_auto(compile_one, CompileOptions("onnx", precision="auto"), flags=ICELAKE)
    assert [precision for precision, _ in compile_one.asked] == ["int8", "fp32"]


def test_auto_takes_the_quantization_flags_its_int8_candidate_needs() -> None:
    options = CompileOptions("onnx", precision="auto", calibration="photos", min_feature_cosine=0.99)
    assert options.precision == "auto" and options.calibration == "photos"


def test_python_api_compiles_the_first_candidate_and_records_the_choice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auto_precision, "cpu_flags", lambda: ["avx2", "avx512_bf16"])
    said: list[str] = []
    options = CompileOptions("openvino", SIZE, precision="auto", threads=1)
    result = compile_bundle(from_checkpoint(SEG), options, tmp_path / "bundle", explain=said.append)
    manifest = read_bundle(result.path).manifest
    # OpenVINO bf16 is an f32 IR plus the bf16 hint (f32 where the CPU lacks bf16): it passes its 0.999 gate.
    assert manifest.precision == "bf16" and manifest.compile_options["precision"] == "bf16"
    assert manifest.runtime.settings["INFERENCE_PRECISION_HINT"] == "bf16"
    choice = manifest.precision_choice
    assert choice["chosen"] == "bf16" and choice["cpu_flags"] == ["avx2", "avx512_bf16"] and choice["failed"] == []
    assert [item["precision"] for item in choice["candidates"]] == ["bf16", "fp32"]
    assert said[0] == "--precision auto for openvino: CPU flags avx2, avx512_bf16"
    assert "  int8 left out: needs one of avx512_vnni, avx_vnni, amx_int8" in said


def test_cli_auto_falls_through_a_failed_gate_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auto_precision, "cpu_flags", lambda: ["avx512_bf16"])
    real_verify = pipeline.verify_artifact

    def bf16_fails(directory: Path, manifest: Any, model: Any, wrapper: Any, options: CompileOptions) -> dict[str, Any]:
        fidelity = real_verify(directory, manifest, model, wrapper, options)
        if options.precision == "bf16":
            fidelity["gate"] = {**fidelity["gate"], "passed": False, "failures": ["cosine 0.42 < 0.999"]}
        return fidelity

    monkeypatch.setattr(pipeline, "verify_artifact", bf16_fails)
    out = tmp_path / "bundle"
    code, stdout, stderr = run_cli(
        ["compile", str(SEG), "--target", "openvino", "--precision", "auto", "--input-size", SIZE, "--threads", "1", "--out", str(out)]
    )
    assert code == 0, stderr
    assert "bf16 failed its gate: openvino bf16 artifact fails the fidelity gate: cosine 0.42 < 0.999" in " ".join(stderr.split())  # rich wraps lines
    assert "precision: auto chose fp32 (exact, always the last resort; bf16 failed its gate)" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["precision"] == "fp32" and manifest["compile_options"]["precision"] == "fp32"
    choice = manifest["precision_choice"]
    assert choice["chosen"] == "fp32" and choice["cpu_flags"] == ["avx512_bf16"]
    assert choice["failed"] == [{"precision": "bf16", "failure": "openvino bf16 artifact fails the fidelity gate: cosine 0.42 < 0.999"}]
    assert read_bundle(out).report()["precision_choice"] == choice
    assert not failed_report_path(out).parent.exists()  # the failed candidate's report went with the bundle's publication
