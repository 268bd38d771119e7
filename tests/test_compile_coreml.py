"""Core ML target: the official seg fixture as an fp16 ML program with Neural Engine attention tiles.

Linux cannot run Core ML: the compile checks the program with the MIL runner and says so in
report.json (``fidelity_path``) and in the manifest (``unverified``). The fp32 program of a 2-layer
pose model with in-graph decoding checks that the conversion itself is exact.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fixture_paths import IMAGES, case_checkpoint, case_json
from safetensors.torch import save_file
from sapiens2.bundle import read_bundle
from sapiens2.compile import CompileOptions, compile_bundle, from_checkpoint
from sapiens2.targets.coreml.mil_runner import MilProgramRunner
from sapiens2.compile.mobile_export import attention_per_head, integer_floor_division, rms_norm_scaled
from sapiens2.compile.samples import fit_to_input
from sapiens2.samples import artifact_input
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.models import build_task_model
from sapiens2.processing import heatmap_maxima, read_image
from sapiens2.targets.coreml.runtime import CoreMLRuntime
from test_compile_cli import TINY_SEG, assert_refused, one_torch_thread  # noqa: F401 - fixture

SEG = case_json("task_seg")
POSE = case_json("task_pose")
TILE = 32
TWO_LAYERS = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}
ON_LINUX = sys.platform != "darwin"


@pytest.fixture(scope="module")
def seg_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official seg fixture (18 layers, GQA in layers 8-9), fp16 by default, tiled attention."""
    options = CompileOptions(
        target="coreml", input_size=tuple(SEG["img_size"]), attention="tiled", tile_size=TILE, threads=1
    )
    return compile_bundle(
        from_checkpoint(case_checkpoint("task_seg")), options, tmp_path_factory.mktemp("coreml") / "seg"
    ).path


@pytest.fixture(scope="module")
def pose_fp32(tmp_path_factory: pytest.TempPathFactory) -> tuple[torch.nn.Module, Path]:
    """A 2-layer encoder with the fixture's pose head, fp32, peaks decoded in the graph beside the heatmaps."""
    root = tmp_path_factory.mktemp("coreml32")
    torch.manual_seed(0)
    model = build_task_model("pose", TWO_LAYERS, head=POSE["head_config"], img_size=tuple(POSE["img_size"])).eval()
    save_file(model.state_dict(), root / "pose.safetensors")
    options = CompileOptions(
        target="coreml", input_size=tuple(POSE["img_size"]), precision="fp32", decode="beside", threads=1
    )
    return model, compile_bundle(from_checkpoint(root / "pose.safetensors"), options, root / "bundle").path


def test_fixture_is_an_fp16_image_model(seg_bundle: Path) -> None:
    bundle = read_bundle(seg_bundle)
    manifest, report = bundle.manifest, bundle.report()
    assert (manifest.target, manifest.precision, manifest.runtime.name) == ("coreml", "fp16", "coreml")
    assert manifest.runtime.settings == {
        "compute_units": "ALL",
        "compute_precision": "fp16",
        "minimum_deployment_target": "iOS17",
    }
    image = manifest.inputs[0]
    assert (image.dtype, image.layout, image.normalization.in_graph) == ("uint8", "NHWC", True)
    assert image.shape == (1, *SEG["img_size"], 3)
    assert {a.file.split("/")[0] for a in manifest.artifacts} == {"model.mlpackage"}
    assert "model.mlpackage/Data/com.apple.CoreML/model.mlmodel" in [a.file for a in manifest.artifacts]
    assert report["coreml"]["minimum_deployment_target"] == "iOS17" and report["coreml"]["compute_precision"] == "fp16"


@pytest.mark.skipif(not ON_LINUX, reason="on macOS Core ML itself verifies the package")
def test_fixture_fidelity_comes_from_the_mil_runner(seg_bundle: Path) -> None:
    bundle = read_bundle(seg_bundle)
    report = bundle.report()
    assert report["fidelity_path"] == "mil-runner" and report["runtime"]["name"] == "coreml-mil-runner"
    assert "needs macOS" in bundle.manifest.unverified["model.mlpackage"]
    assert report["coreml"]["compute_plan"]["available"] is False
    assert report["gate"]["passed"] and report["gate"]["min_cosine"] == 0.999
    assert (
        report["summary"]["vs_reference"]["cosine"] > 0.999
        and report["summary"]["vs_reference"]["pixel_agreement"] > 0.99
    )
    assert report["summary"]["vs_official"]["cosine"] > 0.999


def test_attention_tiles_bound_every_score_matrix(seg_bundle: Path) -> None:
    report = read_bundle(seg_bundle).report()
    rows, cols = SEG["img_size"][0] // 16, SEG["img_size"][1] // 16
    tokens = rows * cols + 9  # cls + 8 storage tokens
    layout = report["attention_layout"]
    assert layout["max_score_matrix"] == [TILE, tokens] and layout["max_score_matrix_bytes"] == TILE * tokens * 2
    # One softmax per head and query tile: MHSA layers tile N rows over 4 heads, the two GQA layers 2N
    # folded rows over 2 key/value heads.
    layers, heads = SEG["arch"]["num_layers"], SEG["arch"]["num_heads"]
    softmaxes = (layers - 2) * heads * math.ceil(tokens / TILE) + 2 * (heads // 2) * math.ceil(2 * tokens / TILE)
    ops = report["coreml"]["ops"]
    assert ops["softmax"] == softmaxes
    assert "scaled_dot_product_attention" not in ops
    assert ops["reduce_mean"] == 4 * layers + 1  # the exact RMSNorms (instance norms convert natively)


def test_fp32_conversion_is_exact_and_decodes_in_graph(pose_fp32: tuple[torch.nn.Module, Path]) -> None:
    model, path = pose_fp32
    bundle = read_bundle(path)
    assert bundle.manifest.output_names == ("heatmaps", "keypoints", "scores")
    assert bundle.report()["summary"]["vs_reference"]["max_abs"] < 1e-4
    crop = fit_to_input("pose", read_image(IMAGES / "messi5.jpg"), tuple(POSE["img_size"]))
    pixels = artifact_input(crop[None], "NHWC")
    runtime = CoreMLRuntime.load(path, bundle.manifest, runner="mil")
    outputs = runtime.run({"image": pixels})
    with torch.no_grad():
        expected = ExportWrapper(model, tuple(POSE["img_size"]), "NHWC", "beside")(torch.from_numpy(pixels))
    np.testing.assert_allclose(outputs["heatmaps"], expected[0].numpy(), atol=1e-4, rtol=1e-4)
    # The in-graph peaks are the processing's argmax peaks of the program's own heatmaps (integer division included).
    peaks, scores = heatmap_maxima(outputs["heatmaps"][0])
    np.testing.assert_array_equal(outputs["keypoints"][0], peaks)
    np.testing.assert_array_equal(outputs["scores"][0], scores)
    assert outputs["keypoints"].dtype == np.float32 and outputs["scores"].dtype == np.float32


def test_coreml_decompositions_are_exact_and_fp16_safe() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(3, 7, 16, generator=generator)
    x[1] = 0.0  # coremltools' own RMSNorm lowering turns an all-zero row into NaN
    weight = torch.rand(16, generator=generator) + 0.5
    torch.testing.assert_close(
        rms_norm_scaled(x, [16], weight, 1e-6), F.rms_norm(x, [16], weight, 1e-6), atol=2e-6, rtol=1e-5
    )
    large = torch.randn(2, 16, generator=generator) * 1000  # squares overflow fp16 (max 65504)
    assert torch.isinf((large.half() * large.half()).mean(-1)).all()
    half = rms_norm_scaled(large.half(), [16], None, 1e-6)
    torch.testing.assert_close(half.float(), F.rms_norm(large, [16], None, 1e-6), atol=5e-3, rtol=5e-3)
    q, k, v = (torch.randn(2, 4, n, 8, generator=generator) for n in (5, 9, 9))
    torch.testing.assert_close(
        attention_per_head(q, k, v), F.scaled_dot_product_attention(q, k, v), atol=2e-6, rtol=1e-5
    )
    index = torch.tensor([0, 5, 23, 24, 767])
    assert integer_floor_division(index, 24, "floor").tolist() == (index // 24).tolist()
    assert integer_floor_division(index.float(), 24, "floor") is NotImplemented  # floats keep the default lowering


class HeadOps(torch.nn.Module):
    """The head ops the MIL runner evaluates in torch: padded conv, stride-2 deconv, instance norm, SiLU, pixel shuffle."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.deconv = torch.nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1, bias=False)
        self.norm = torch.nn.InstanceNorm2d(8)
        self.shuffle = torch.nn.PixelShuffle(2)
        self.linear = torch.nn.Linear(384, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.shuffle(F.silu(self.norm(self.deconv(self.conv(x))))).flatten(2)  # (1, 2, 24 * 16)
        return self.linear(tokens) + (tokens @ tokens.transpose(1, 2)).mean(-1, keepdim=True)


def test_mil_runner_matches_torch_on_the_head_ops(tmp_path: Path) -> None:
    import coremltools as ct

    torch.manual_seed(0)
    module = HeadOps().eval()
    x = torch.randn(1, 3, 6, 4)
    program = torch.export.export(module, (x,)).run_decompositions({})
    model = ct.convert(program, inputs=[ct.TensorType(name="x", shape=x.shape)], minimum_deployment_target=ct.target.iOS17,
                       compute_precision=ct.precision.FLOAT32, skip_model_load=True)  # fmt: skip
    model.save(str(tmp_path / "ops.mlpackage"))
    runner = MilProgramRunner(tmp_path / "ops.mlpackage")
    assert {"conv", "conv_transpose", "instance_norm", "silu", "pixel_shuffle", "linear", "matmul"} <= set(
        runner.op_counts()
    )
    (output,) = runner.run({"x": x.numpy()}).values()
    with torch.no_grad():
        np.testing.assert_allclose(output, module(x).numpy(), atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--precision", "bf16"], "Core ML computes in fp16"),
        (["--in-graph-preprocess", "NCHW"], "take a camera image"),
        (["--dynamic-batch"], "one image per call"),
        (["--allow-portable"], "belong to --target executorch"),
    ],
)
def test_user_mistakes_exit_2(tmp_path: Path, extra: list[str], message: str) -> None:
    assert_refused(tmp_path, ["compile", "--target", "coreml", *TINY_SEG, *extra], message)
