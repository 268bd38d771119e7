"""Streamed weights (the 5B's path) and the weight-sparing export, run on the official pose fixture cut to 2 blocks.

The streamed compile must give the artifact the resident one gives (same initializers, outputs
against the official expected tensors), hold at most one block's real weights while the
reference runs, and leave nothing of the torch weights behind once verification starts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from fixture_paths import fixture_layers
from onnx import numpy_helper
from safetensors.torch import load_file
from sapiens2.compile import CompileError, CompileOptions, compile_bundle, from_checkpoint
from sapiens2.compile import streaming
from sapiens2.compile.source import load_checkpoint_model, should_stream
from sapiens2.compile.streaming import STREAMED_PREFIX, check_streaming_room, reference_forward, release_weights
from sapiens2.models import build_task_model
from sapiens2.targets.onnx import exporter as onnx_exporter
from test_compile_cli import TINY_SEG, assert_refused, one_torch_thread  # noqa: F401 - fixture

SIZE = (256, 192)
GB = 1e9


@pytest.fixture(scope="module")
def pose2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fixture_layers("task_pose", 2, tmp_path_factory.mktemp("cut") / "pose2.safetensors")


def holds_memory(tensor: torch.Tensor) -> bool:
    return tensor.untyped_storage().nbytes() > tensor.element_size()


def streamed_block_tensors(model: torch.nn.Module) -> list[str]:
    return [name for name, p in model.named_parameters() if name.startswith(STREAMED_PREFIX) and holds_memory(p)]


def test_a_streamed_model_holds_no_block_weights_and_forwards_like_the_resident_one(pose2: Path) -> None:
    resident, _ = load_checkpoint_model(pose2)
    streamed, _ = load_checkpoint_model(pose2, stream=True)
    assert streamed_block_tensors(streamed) == []
    assert not holds_memory(streamed.backbone.blocks[0].attn.wq.weight)
    assert holds_memory(streamed.backbone.patch_embed.projection.weight)  # the small rest is read for real
    resident_blocks = [name for name, _ in resident.named_parameters() if name.startswith(STREAMED_PREFIX)]
    seen = []
    for block in streamed.backbone.blocks:  # inside a block's forward: its own weights and no other block's
        block.register_forward_hook(lambda module, args, output: seen.append(len(streamed_block_tensors(streamed))))
    image = torch.randn(1, 3, *SIZE)
    with torch.no_grad(), reference_forward(streamed):
        got = streamed(image)
    with torch.no_grad():
        expected = resident(image)
    assert torch.equal(got, expected)  # the same tensors, read from the same file
    per_block = len(resident_blocks) // len(resident.backbone.blocks)
    assert seen == [per_block] * len(resident.backbone.blocks)
    assert streamed_block_tensors(streamed) == []  # dropped again after the pass


def test_release_leaves_no_weights(pose2: Path) -> None:
    model, _ = load_checkpoint_model(pose2)
    shapes = {name: p.shape for name, p in model.named_parameters()}
    release_weights(model)
    assert {name: p.shape for name, p in model.named_parameters()} == shapes
    assert not any(holds_memory(p) for p in model.parameters())
    assert not any(holds_memory(b) for b in model.buffers())


def onnx_weights(bundle: Path) -> dict[str, np.ndarray]:
    model = onnx.load(str(bundle / "model.onnx"))  # loads model.onnx.data beside it
    return {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}


@pytest.mark.parametrize("stream", [False, True])
def test_onnx_weights_are_written_from_their_source_without_a_folded_copy(
    pose2: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stream: bool
) -> None:
    monkeypatch.setattr(onnx_exporter, "EXTERNAL_DATA_BYTES", 0)  # the large-model layout: weights in model.onnx.data
    options = CompileOptions(target="onnx", input_size=SIZE, threads=1, stream_weights=stream)
    result = compile_bundle(from_checkpoint(pose2), options, tmp_path / "bundle")
    assert result.report["gate"]["passed"], result.report["gate"]
    assert sorted(result.report["artifacts"]) == ["model.onnx", "model.onnx.data"]
    graph = onnx.load(str(result.path / "model.onnx"), load_external_data=False).graph
    assert not [node for node in graph.node if node.op_type == "Transpose" and node.input[0].endswith(".weight")]
    checkpoint = load_file(pose2)
    written = onnx_weights(result.path)
    # Every linear weight of the blocks is stored once, transposed, as folding would have stored it.
    for key in ("backbone.blocks.0.attn.wq.weight", "backbone.blocks.1.ffn.w12.weight", "backbone.blocks.1.ffn.w3.weight"):
        transposed = checkpoint[key].numpy().T
        assert sum(np.array_equal(array, transposed) for array in written.values()) == 1, key
    assert np.array_equal(written["model.backbone.blocks.0.attn.wq.bias"], checkpoint["backbone.blocks.0.attn.wq.bias"].numpy())


def test_the_streamed_openvino_bundle_passes_its_gate_and_keeps_no_onnx(pose2: Path, tmp_path: Path) -> None:
    options = CompileOptions(target="openvino", input_size=SIZE, threads=1, stream_weights=True)
    result = compile_bundle(from_checkpoint(pose2), options, tmp_path / "bundle")
    assert result.report["gate"]["passed"] and result.report["summary"]["vs_reference"]["cosine"] > 0.9999
    assert sorted(item.name for item in result.path.iterdir()) == ["manifest.json", "model.bin", "model.xml", "report.json"]


def five_b_stand_in() -> torch.nn.Module:
    with torch.device("meta"):
        return build_task_model("pose", "sapiens2_5b")


@pytest.mark.parametrize(
    ("target", "available", "free_disk", "message"),
    [
        # The 5B pose model: 5.07B backbone parameters (official count) + the head, 5.12B: 20.5 GB in fp32.
        ("onnx", 23 * GB, 60 * GB, None),  # this machine: the artifact on disk, then in ONNX Runtime
        ("onnx", 18 * GB, 60 * GB, r"5\.12B-parameter .* runtime holds 20\.5 GB of weights and 18\.0 GB is left"),
        ("onnx", 23 * GB, 15 * GB, r"the artifact takes 20\.5 GB and 15\.0 GB is free"),
        ("openvino", 23 * GB, 30 * GB, r"the artifact takes 41\.0 GB and 30\.0 GB is free"),  # ONNX file + IR
    ],
)
def test_the_5b_is_refused_only_where_disk_or_memory_cannot_hold_it(
    target: str, available: float, free_disk: float, message: str | None, tmp_path: Path
) -> None:
    model, options = five_b_stand_in(), CompileOptions(target=target, precision="fp32", stream_weights=True)
    check = lambda: check_streaming_room(model, options, tmp_path / "out", available=int(available), free_disk=int(free_disk))  # noqa: E731
    if message is None:
        check()
    else:
        with pytest.raises(CompileError, match=message):
            check()


def test_streaming_needs_a_checkpoint(tmp_path: Path) -> None:
    assert_refused(tmp_path, ["compile", "--target", "onnx", *TINY_SEG, "--stream-weights"], "reads the weights from a .safetensors checkpoint")


def test_streaming_refuses_a_torch_file(pose2: Path, tmp_path: Path) -> None:
    torch.save(load_file(pose2), tmp_path / "pose2.pth")
    with pytest.raises(CompileError, match="streaming the weights needs a .safetensors checkpoint"):
        streaming.stream_checkpoint_model(tmp_path / "pose2.pth")


def test_a_checkpoint_streams_on_its_own_when_it_cannot_be_held_twice(pose2: Path) -> None:
    onnx_fp32 = CompileOptions(target="onnx", input_size=SIZE)
    both_copies = 8 * sum(t.numel() for t in load_file(pose2).values())  # fp32 PyTorch model + fp32 runtime copy
    assert not should_stream(pose2, onnx_fp32, available=both_copies)
    assert should_stream(pose2, onnx_fp32, available=both_copies - 1)
    # Targets and precisions a stand-in model cannot give load the weights (and meet the memory check) instead.
    assert not should_stream(pose2, CompileOptions(target="executorch", input_size=SIZE), available=0)
    assert not should_stream(pose2, CompileOptions(target="onnx", input_size=SIZE, precision="int8"), available=0)


def test_streaming_compiles_float_artifacts_only(pose2: Path, tmp_path: Path) -> None:
    model = streaming.stream_checkpoint_model(pose2)
    with pytest.raises(CompileError, match="streamed weights compile fp32 and bf16 artifacts, not int8"):
        check_streaming_room(model, CompileOptions(target="onnx", precision="int8", stream_weights=True), tmp_path / "out")
