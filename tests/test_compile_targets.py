"""The seg fixture checkpoint (full 18-layer encoder, grouped-query layers included) on both targets.

Attention modes: sdpa is compiled for every task in ``test_compile_tasks.py``; here tiled (exact,
OpenVINO, with the bf16 hint) and windowed (approximate, ONNX, through the command line).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fixture_paths import OFFICIAL, case_checkpoint, case_json
from safetensors.torch import load_file
from sapiens2.bundle import read_bundle, sha256_file
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.targets import open_bundle
from test_compile_cli import one_torch_thread, run_cli  # noqa: F401 - fixture

pytestmark = pytest.mark.filterwarnings("ignore:this CPU has no bf16 support")

SIZE = tuple(case_json("task_seg")["img_size"])
OFFICIAL_LOGITS = load_file(OFFICIAL / "task_seg" / "expected.safetensors")["out0"].numpy()


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("targets")
    size = "x".join(map(str, SIZE))
    code, stdout, stderr = run_cli(
        ["compile", str(case_checkpoint("task_seg")), "--target", "onnx", "--input-size", size,
         "--attention", "windowed", "--window", "2", "--threads", "1", "--out", str(root / "windowed")]
    )  # fmt: skip
    assert code == 0, stderr
    assert f"bundle: {root / 'windowed'}" in stdout and "fidelity vs PyTorch (4 inputs, 2 real)" in stdout
    tiled = CompileOptions(target="openvino", input_size=SIZE, attention="tiled", tile_size=64, precision="bf16", threads=1)
    return {
        "onnx-windowed": root / "windowed",
        "openvino-tiled": compile_bundle(from_checkpoint(case_checkpoint("task_seg")), tiled, root / "tiled").path,
    }


def fixture_logits(bundle: Path) -> np.ndarray:
    image = load_file(OFFICIAL / "task_seg" / "input.safetensors")["image"].numpy()
    return open_bundle(bundle, threads=1).run({"image": image})["logits"]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


# bf16 keeps 8 significant bits (a relative step of 2^-8): a pixel whose two best official logits are closer
# than this share of the largest |logit| (about five such steps) may flip class under bf16 arithmetic; one
# farther apart must not.
BF16_CLEAR_MARGIN = 0.02


def test_tiled_attention_reproduces_the_official_outputs(bundles: dict[str, Path], isa_path: Callable[[str], None]) -> None:
    """Tiled attention is exact, so the bundle reproduces the official logits up to its arithmetic.

    What "reproduces" means depends on the arithmetic the CPU really ran: OpenVINO's bf16 hint computes in
    bf16 only on CPUs with AVX512-BF16 or AMX (the runtime records the precision it used) and in f32
    elsewhere. f32: cosine > 0.9999 and the same class on > 99 % of pixels. bf16: cosine > 0.999 and the
    same class wherever the official top-2 margin is clear (BF16_CLEAR_MARGIN), on > 99.9 % of those pixels;
    near-tied pixels of these random-weight logits may flip.
    """
    report = read_bundle(bundles["openvino-tiled"]).report()
    bf16 = report["runtime"]["settings"]["INFERENCE_PRECISION_HINT"] == "bf16"
    logits = fixture_logits(bundles["openvino-tiled"])
    assert logits.shape == OFFICIAL_LOGITS.shape == tuple(case_json("task_seg")["outputs"]["out0"])
    agree = logits.argmax(1) == OFFICIAL_LOGITS.argmax(1)
    # fp32 RoPE rotation vs the official bf16-rounded q/k (see ExportWrapper): close, not identical.
    if bf16:
        top2 = np.sort(OFFICIAL_LOGITS, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > BF16_CLEAR_MARGIN * np.abs(OFFICIAL_LOGITS).max()
        assert clear.mean() > 0.25  # enough pixels to judge
        assert cosine(logits, OFFICIAL_LOGITS) > 0.999 and agree[clear].mean() > 0.999
        isa_path(f"OpenVINO bf16 arithmetic: class agreement {agree[clear].mean():.4f} on the {clear.mean():.0%} clear-margin pixels ({agree.mean():.4f} on all)")
    else:
        assert cosine(logits, OFFICIAL_LOGITS) > 0.9999 and agree.mean() > 0.99
        isa_path(f"OpenVINO f32 arithmetic (no bf16 on this CPU): class agreement {agree.mean():.4f}")
    assert report["gate"]["passed"] and report["gate"]["min_cosine"] == 0.999
    assert report["summary"]["vs_official"]["cosine"] > (0.999 if bf16 else 0.9999)


def test_windowed_attention_is_verified_against_its_own_reference(bundles: dict[str, Path]) -> None:
    report = read_bundle(bundles["onnx-windowed"]).report()
    assert report["gate"]["passed"] and report["summary"]["vs_reference"]["cosine"] > 0.9999
    # Windows change the function: farther from the official full-attention output than exact tiles.
    windowed, tiled = fixture_logits(bundles["onnx-windowed"]), fixture_logits(bundles["openvino-tiled"])
    assert cosine(windowed, OFFICIAL_LOGITS) < cosine(tiled, OFFICIAL_LOGITS)


def test_manifests_record_target_attention_and_source(bundles: dict[str, Path]) -> None:
    windowed, tiled = (read_bundle(bundles[name]).manifest for name in ("onnx-windowed", "openvino-tiled"))
    assert (windowed.target, windowed.runtime.name, [a.file for a in windowed.artifacts]) == ("onnx", "onnxruntime", ["model.onnx"])
    assert (tiled.target, tiled.runtime.name, [a.file for a in tiled.artifacts]) == ("openvino", "openvino", ["model.bin", "model.xml"])
    assert (windowed.export.attention, windowed.export.window, windowed.export.tile_size) == ("windowed", 2, None)
    assert (tiled.export.attention, tiled.export.tile_size, tiled.export.window) == ("tiled", 64, None)
    assert tiled.precision == "bf16" and tiled.runtime.settings["INFERENCE_PRECISION_HINT"] == "bf16"
    assert windowed.precision == "fp32" and windowed.export.opset == 20 and tiled.export.opset is None
    assert {m.source.sha256 for m in (windowed, tiled)} == {sha256_file(case_checkpoint("task_seg"))}


def test_onnx_runtime_check_runs_lean_and_user_sessions_do_not(bundles: dict[str, Path]) -> None:
    """The compile's check runs ONNX Runtime without pre-packing, arena or memory pattern (memory beside the exporter's
    leftovers); a bundle a user opens keeps them (speed)."""
    checked = read_bundle(bundles["onnx-windowed"]).report()["runtime"]["settings"]
    assert checked["session.disable_prepacking"] == "1"
    assert checked["enable_cpu_mem_arena"] is False and checked["enable_mem_pattern"] is False
    assert "session.disable_prepacking" not in open_bundle(bundles["onnx-windowed"], threads=1).settings()


def test_openvino_ir_has_a_static_input_and_unsplit_feed_forwards(bundles: dict[str, Path]) -> None:
    """The CPU plugin runs open-shaped models slower, and a cut fused projection as a copy (compile/split_ffn.py)."""
    import openvino as ov

    model = ov.Core().read_model(bundles["openvino-tiled"] / "model.xml")
    assert model.inputs[0].partial_shape == ov.PartialShape([1, 3, *SIZE])
    products = [op.get_friendly_name() for op in model.get_ordered_ops() if op.get_type_name() == "MatMul"]
    first = [name for name in products if ".blocks.0.ffn.w12/" in name]
    assert len(first) == 2  # gate and value, no split of one product
    assert not any(op.get_type_name() == "VariadicSplit" for op in model.get_ordered_ops() if ".ffn" in op.get_friendly_name())
