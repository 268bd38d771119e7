"""ExecuTorch target: the official pose fixture lowered whole to XNNPACK, fp16, placement gate, extra delegates.

Lowering is slow here (~1-3 min for the 18-layer fixture on a busy 2-core machine), so the fixture
compiles once per module; fp16 and the extra delegates use a 2-layer encoder with the fixture's seg
head. The random 0.1B at 512x384 is marked slow (``pytest -m slow``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from fixture_paths import OFFICIAL, case_checkpoint, case_json
from safetensors.torch import load_file, save_file
from sapiens2.bundle import read_bundle
from sapiens2.compile import CompileError, CompileOptions, compile_bundle, from_checkpoint
from sapiens2.compile.mobile_export import (
    attention_as_batched_matmul,
    instance_norm_as_pooling,
    rms_norm_as_pooling,
    single_tile_attention,
    split_as_slices,
)
from sapiens2.targets.executorch.placement import check_placement, placement_report
from sapiens2.compile.wrappers import ExportWrapper
from sapiens2.models import build_task_model
from sapiens2.targets import open_bundle
from test_compile_cli import TINY_SEG, assert_refused, one_torch_thread, run_cli  # noqa: F401 - fixture

POSE = case_json("task_pose")
SEG = case_json("task_seg")
TWO_LAYERS = {"embed_dims": 64, "num_layers": 2, "num_heads": 4, "feedforward_channels": 256, "num_tokenizer_layers": 2}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


@pytest.fixture(scope="module")
def pose_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official pose fixture (18 layers, GQA in layers 8-9) with in-graph peak decoding beside the heatmaps."""
    options = CompileOptions(target="executorch", input_size=tuple(POSE["img_size"]), decode="beside", threads=1)
    return compile_bundle(
        from_checkpoint(case_checkpoint("task_pose")), options, tmp_path_factory.mktemp("et") / "pose"
    ).path


@pytest.fixture(scope="module")
def seg_fp16_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer encoder with the fixture's seg head, fp16, labels only, deconvs as phase convs, also lowered for the Core ML delegate."""
    root = tmp_path_factory.mktemp("et16")
    torch.manual_seed(0)
    model = build_task_model("seg", TWO_LAYERS, head=SEG["head_config"], img_size=tuple(SEG["img_size"]))
    save_file(model.state_dict(), root / "seg.safetensors")
    options = CompileOptions(
        target="executorch",
        input_size=tuple(SEG["img_size"]),
        precision="fp16",
        decode="only",
        also_partitioners=("coreml",),
        deconv="phase",
        threads=1,
    )
    return compile_bundle(from_checkpoint(root / "seg.safetensors"), options, root / "bundle").path


def test_fixture_lowers_to_one_xnnpack_delegate(pose_bundle: Path) -> None:
    placement = read_bundle(pose_bundle).report()["placement"]
    # The whole network is one delegate; the peak decoding adds a one-op one (an unsqueeze) beside it.
    assert placement["partitioner"] == "xnnpack" and placement["delegates"] == {"XnnpackBackend": 2}
    assert placement["delegate_sizes"][1:] == [1] and placement["portable_gated"] == {}
    layers = POSE["arch"]["num_layers"]
    # 4 RMSNorms per block + the final one, 2 means per InstanceNorm of the head (2 deconv + 3 conv stages).
    assert placement["delegated"]["aten.mean.dim"] == 4 * layers + 1 + 2 * 5
    assert placement["delegated"]["aten.bmm.default"] == 2 * layers  # scores and weighted values, per layer
    assert "aten.expand_copy.default" not in placement["delegated"]  # grouped-query layers fold, no K/V copies
    # Left on portable kernels: the in-graph peak decoding and the cls/storage token expand, nothing of the network.
    assert {"aten.max.dim", "aten.expand_copy.default"} <= set(placement["portable"])
    assert placement["delegated_ops"] == sum(placement["delegated"].values()) > 1000


def test_fixture_pte_reproduces_the_official_outputs(pose_bundle: Path) -> None:
    bundle = read_bundle(pose_bundle)
    report = bundle.report()
    assert report["gate"]["passed"] and report["summary"]["vs_reference"]["cosine"] > 0.9999999
    assert report["runtime"]["name"] == "executorch" and report["real_images"] == ["astronaut.png", "basketball1.png"]
    image = load_file(OFFICIAL / "task_pose" / "input.safetensors")["image"].numpy()
    outputs = open_bundle(pose_bundle, threads=1).run({"image": image})
    official = load_file(OFFICIAL / "task_pose" / "expected.safetensors")["out0"].numpy()
    assert outputs["heatmaps"].shape == official.shape == tuple(POSE["outputs"]["out0"])
    assert cosine(outputs["heatmaps"], official) > 0.9999  # fp32 RoPE rotation vs the official bf16 one
    width = official.shape[-1]
    flat = outputs["heatmaps"].reshape(*official.shape[:2], -1).argmax(-1)
    np.testing.assert_array_equal(outputs["keypoints"][0], np.stack((flat % width, flat // width), -1)[0])


def test_fixture_manifest_and_planned_memory(pose_bundle: Path) -> None:
    bundle = read_bundle(pose_bundle)
    manifest, report = bundle.manifest, bundle.report()
    assert (manifest.target, manifest.runtime.name, manifest.precision) == ("executorch", "executorch", "fp32")
    assert [a.file for a in manifest.artifacts] == ["model.pte"] and manifest.unverified == {}
    assert report["planned_memory_bytes"] == sum(report["planned_memory_buffers"])
    # The plan holds at least the program's input and outputs (ExecuTorch plans them).
    height, width = POSE["img_size"]
    io_bytes = 3 * height * width * 4 + np.prod(POSE["outputs"]["out0"]) * 4 + 308 * 2 * 4 + 308 * 4
    assert io_bytes <= report["planned_memory_bytes"] < 4 * io_bytes


def test_fp16_program_keeps_the_io_contract(seg_fp16_bundle: Path) -> None:
    bundle = read_bundle(seg_fp16_bundle)
    manifest, report = bundle.manifest, bundle.report()
    assert (
        manifest.precision == "fp16" and manifest.inputs[0].dtype == "float32" and manifest.output_names == ("labels",)
    )
    # The phase convs' slices and pixel shuffle are delegated too: one XNNPACK delegate, nothing on portable kernels.
    assert manifest.export.deconv == "phase"
    assert report["placement"]["delegates"] == {"XnnpackBackend": 1} and report["placement"]["portable_gated"] == {}
    assert report["gate"]["passed"] and report["summary"]["vs_reference"]["label_agreement"] >= 0.99
    labels = open_bundle(seg_fp16_bundle, threads=1).run({"image": np.zeros((1, 3, *SEG["img_size"]), np.float32)})[
        "labels"
    ]
    assert labels.dtype == np.uint8 and labels.shape == (1, *SEG["img_size"])


def test_extra_delegate_is_written_and_marked_unverified(seg_fp16_bundle: Path) -> None:
    bundle = read_bundle(seg_fp16_bundle)
    assert [a.file for a in bundle.manifest.artifacts] == ["model.coreml.pte", "model.pte"]
    assert (
        "Apple devices" in bundle.manifest.unverified["model.coreml.pte"]
        and "model.pte" not in bundle.manifest.unverified
    )
    extra = bundle.report()["also_lowered"]["coreml"]
    assert extra["file"] == "model.coreml.pte" and extra["placement"]["delegates"] == {"CoreMLBackend": 1}
    assert extra["placement"]["portable_gated"] == {}
    assert open_bundle(seg_fp16_bundle, threads=1).settings()["program"] == "model.pte"  # the one that runs here


class CumsumNetwork(torch.nn.Module):
    """A linear (XNNPACK takes it) and a cumsum (XNNPACK has none), after a parameter token expanded to the batch."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(8, 8)
        self.token = torch.nn.Parameter(torch.zeros(1, 1, 8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(self.linear(torch.cat((self.token.expand(x.shape[0], -1, -1), x), dim=1)), dim=1)


class StandInWrapper(torch.nn.Module):
    """Like ``ExportWrapper``: the network under ``model``, decoding (argmax) at the wrapper level."""

    def __init__(self) -> None:
        super().__init__()
        self.model = CumsumNetwork()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.model(x)
        return hidden, hidden.argmax(-1)


def test_placement_gate_names_the_portable_network_ops() -> None:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    program = torch.export.export(StandInWrapper().eval(), (torch.zeros(1, 4, 8),))
    placement = placement_report(
        to_edge_transform_and_lower(program, partitioner=[XnnpackPartitioner()]).exported_program()
    )
    assert placement["portable_gated"] == {"aten.cumsum.default": 1}
    assert placement["portable_where"] == {"aten.cumsum.default": "model"}
    assert {"aten.argmax.default", "aten.expand_copy.default"} <= set(placement["portable"])  # reported, not gated
    assert placement["delegated"] == {"aten.cat.default": 1, "aten.linear.default": 1}
    with pytest.raises(
        CompileError,
        match=r"1 network operator\(s\) are not delegated to xnnpack .* aten.cumsum.default x1 \(e.g. in model\).*--allow-portable",
    ):
        check_placement(placement, allow_portable=False, partitioner="xnnpack")
    check_placement(placement, allow_portable=True, partitioner="xnnpack")


def test_xnnpack_decompositions_are_exact() -> None:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 5, 16, generator=generator)
    weight = torch.rand(16, generator=generator) + 0.5
    torch.testing.assert_close(
        rms_norm_as_pooling(x, [16], weight, 1e-6), F.rms_norm(x, [16], weight, 1e-6), rtol=1e-5, atol=2e-6
    )
    maps = torch.randn(1, 6, 4, 3, generator=generator)
    torch.testing.assert_close(
        instance_norm_as_pooling(maps, None, None, None, None, True, 0.1, 1e-5, False),
        F.instance_norm(maps),
        atol=2e-6,
        rtol=1e-5,
    )
    q, k, v = (torch.randn(2, 4, n, 8, generator=generator) for n in (7, 11, 11))
    mask = torch.rand(2, 1, 1, 11, generator=generator) > 0.3
    mask[..., 0] = True
    for attn_mask in (None, mask):
        torch.testing.assert_close(
            attention_as_batched_matmul(q, k, v, attn_mask),
            F.scaled_dot_product_attention(q, k, v, attn_mask),
            atol=2e-6,
            rtol=1e-5,
        )
    sequence = torch.arange(8)
    for size in (3, 8, 10):
        assert [t.tolist() for t in split_as_slices(sequence, size)] == [t.tolist() for t in sequence.split(size)]


def test_single_tile_attention_is_the_same_function_and_is_undone() -> None:
    torch.manual_seed(0)
    # 18 layers: the official rule gives layers 8 and 9 two key/value heads (grouped-query attention).
    model = build_task_model(
        "seg", {**TWO_LAYERS, "num_layers": 18}, head=SEG["head_config"], img_size=tuple(SEG["img_size"])
    ).eval()
    wrapper = ExportWrapper(model, tuple(SEG["img_size"]))
    image = torch.randn(1, 3, *SEG["img_size"])
    with torch.no_grad():
        reference = wrapper(image)[0]
        with single_tile_attention(wrapper):
            assert {block.attn.mode.kind for block in model.backbone.blocks} == {"tiled"}
            folded = wrapper(image)[0]
    assert {block.attn.mode.kind for block in model.backbone.blocks} == {"sdpa"}
    torch.testing.assert_close(folded, reference, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--precision", "bf16"], "XNNPACK has no bf16 kernels"),
        (["--dynamic-batch"], "fixed batch of 1"),
        (["--also-partitioner", "qnn"], "needs the Qualcomm AI Engine Direct (QNN) SDK"),
    ],
)
def test_user_mistakes_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str], message: str) -> None:
    monkeypatch.delenv("QNN_SDK_ROOT", raising=False)
    assert_refused(tmp_path, ["compile", "--target", "executorch", *TINY_SEG, *extra], message)


@pytest.mark.slow
def test_random_0p1b_pose_pte_at_512x384(tmp_path: Path) -> None:
    out = tmp_path / "pte"
    code, _, stderr = run_cli(
        ["compile", "--arch", "sapiens2_0.1b", "--task", "pose", "--random-weights", "--input-size", "512x384",
         "--target", "executorch", "--threads", "2", "--out", str(out)]
    )  # fmt: skip
    assert code == 0, stderr
    bundle = read_bundle(out)
    report = bundle.report()
    assert report["placement"]["delegates"] == {"XnnpackBackend": 1} and report["placement"]["portable_gated"] == {}
    assert report["placement"]["delegated"]["aten.bmm.default"] == 2 * 12
    assert report["gate"]["passed"] and report["summary"]["vs_reference"]["cosine"] >= 0.9999
    assert report["planned_memory_bytes"] > 0
    image = np.random.default_rng(0).normal(size=(1, 3, 512, 384)).astype(np.float32)
    heatmaps = open_bundle(out, threads=2).run({"image": image})["heatmaps"]
    assert heatmaps.shape == (1, 308, 128, 96) and np.isfinite(heatmaps).all()
