"""Reading state dicts: every source kind gives the same tensors; every broken source a clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import huggingface_hub.constants
import pytest
import torch
from safetensors.torch import load_file, save_file

from sapiens2.checkpoints import CheckpointError, load_state_dict
from sapiens2.cli.errors import UserError

from fixture_paths import OFFICIAL, case_checkpoint

POSE = case_checkpoint("task_pose")


@pytest.fixture(scope="module")
def reference() -> dict[str, torch.Tensor]:
    """The pose fixture as the safetensors library itself reads it."""
    return load_file(POSE)


def assert_same_tensors(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor]) -> None:
    assert set(got) == set(want)
    for key, tensor in want.items():
        assert got[key].dtype == tensor.dtype, key
        assert torch.equal(got[key], tensor), key


def write_shards(state_dict: dict[str, torch.Tensor], folder: Path, shards: int = 2) -> Path:
    """A Hugging Face style sharded checkpoint: N safetensors files and the index naming them."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = list(state_dict)
    weight_map = {}
    for i in range(shards):
        name = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
        part = {k: state_dict[k] for k in keys[i::shards]}
        save_file(part, folder / name)
        weight_map |= {k: name for k in part}
    index = folder / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return index


def test_safetensors_file(reference):
    assert_same_tensors(load_state_dict(POSE), reference)


def test_meta_mode_reads_shapes_and_dtypes_only(reference):
    meta = load_state_dict(POSE, meta=True)
    assert set(meta) == set(reference)
    assert all(t.is_meta for t in meta.values())
    assert {k: (t.shape, t.dtype) for k, t in meta.items()} == {k: (t.shape, t.dtype) for k, t in reference.items()}


def test_folder_with_one_safetensors_file(tmp_path, reference):
    shutil.copy(POSE, tmp_path / "weights.safetensors")
    assert_same_tensors(load_state_dict(tmp_path), reference)


def test_folder_prefers_model_safetensors(reference):
    # The fixture folder also holds input/expected safetensors files.
    assert_same_tensors(load_state_dict(OFFICIAL / "task_pose"), reference)


def test_folder_with_several_files_and_no_model_safetensors(tmp_path):
    for name in ("a.safetensors", "b.safetensors"):
        shutil.copy(POSE, tmp_path / name)
    with pytest.raises(CheckpointError, match=r"holds 2 \.safetensors files \(a\.safetensors, b\.safetensors\), no model\.safetensors and no index; give one of them"):
        load_state_dict(tmp_path)


def test_empty_folder(tmp_path):
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        load_state_dict(tmp_path)


@pytest.mark.parametrize("via", ["index", "folder"])
def test_sharded_safetensors(tmp_path, reference, via):
    index = write_shards(reference, tmp_path / "sharded")
    assert_same_tensors(load_state_dict(index if via == "index" else index.parent), reference)


def test_sharded_index_naming_a_missing_shard(tmp_path, reference):
    index = write_shards(reference, tmp_path)
    (tmp_path / "model-00002-of-00002.safetensors").unlink()
    with pytest.raises(
        CheckpointError,
        match=r"index model\.safetensors\.index\.json names shard model-00002-of-00002\.safetensors, which is missing from .*; download every shard",
    ):
        load_state_dict(index)


def test_index_without_weight_map(tmp_path):
    index = tmp_path / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {}}))
    with pytest.raises(CheckpointError, match=r"is not a safetensors index: it needs a non-empty \"weight_map\""):
        load_state_dict(index)


def bare(sd):
    return sd


def wrapped_state_dict(sd):
    return {"state_dict": sd, "epoch": 3}


def wrapped_model(sd):
    return {"model": sd, "optimizer": {}}


def wrapped_teacher(sd):
    return {"teacher": {f"backbone.{k}": v for k, v in sd.items()}}


def ddp(sd):
    return {"state_dict": {f"module.{k}": v for k, v in sd.items()}}


@pytest.mark.parametrize("wrap", [bare, wrapped_state_dict, wrapped_model, wrapped_teacher, ddp])
@pytest.mark.parametrize("suffix", [".pth", ".pt", ".bin"])
def test_torch_files_and_official_wrappers(tmp_path, wrap, suffix):
    backbone = load_file(case_checkpoint("backbone_rope_bf16"))
    path = tmp_path / f"ckpt{suffix}"
    torch.save(wrap(backbone), path)
    assert_same_tensors(load_state_dict(path), backbone)


def test_legacy_torch_pickle(tmp_path, reference):
    path = tmp_path / "legacy.pth"
    torch.save(reference, path, _use_new_zipfile_serialization=False)
    assert_same_tensors(load_state_dict(path), reference)


def test_missing_path():
    with pytest.raises(CheckpointError, match=r"^checkpoint not found: /no/such/model\.safetensors \(no such file or folder\)$"):
        load_state_dict("/no/such/model.safetensors")


def test_errors_are_user_errors():
    with pytest.raises(UserError):
        load_state_dict("/no/such/file.pth")


@pytest.mark.parametrize(
    ("name", "content", "looks_like"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(200)), "a PNG image"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(100), "a JPEG image"),
        ("notes.txt", "Sapiens2 weights — to be downloaded\n".encode(), "a text file"),
        ("model.safetensors", b"<!DOCTYPE html><html><body>Access denied</body></html>", r"an HTML page \(a failed download\?\)"),
        ("config.json", b'{"architectures": ["Sapiens2"]}', "a JSON file"),
        ("blob.dat", bytes(range(256)) * 4, "unknown binary data"),
    ],
)
def test_not_a_checkpoint(tmp_path, name, content, looks_like):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=rf"{name} is not a checkpoint \(it looks like {looks_like}\); give a \.safetensors file"):
        load_state_dict(path)


def test_empty_file(tmp_path):
    path = tmp_path / "model.safetensors"
    path.touch()
    with pytest.raises(CheckpointError, match=r"is empty \(0 bytes\): the download or copy did not finish; fetch it again"):
        load_state_dict(path)


@pytest.mark.parametrize("keep", [4, 100, 0.5, -10])
@pytest.mark.parametrize("meta", [False, True])
def test_truncated_safetensors(tmp_path, keep, meta):
    data = POSE.read_bytes()
    end = int(len(data) * keep) if isinstance(keep, float) else keep
    path = tmp_path / "model.safetensors"
    path.write_bytes(data[:end])
    with pytest.raises(CheckpointError, match=r"model\.safetensors is truncated or corrupt \(.+\); download or copy it again"):
        load_state_dict(path, meta=meta)


@pytest.mark.parametrize("legacy", [False, True])
def test_truncated_torch_file(tmp_path, reference, legacy):
    full = tmp_path / "full.pth"
    torch.save(reference, full, _use_new_zipfile_serialization=not legacy)
    data = full.read_bytes()
    path = tmp_path / "model.pth"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"model\.pth is truncated or corrupt \(.+\); download or copy it again"):
        load_state_dict(path)


class Opaque:
    """A class torch's weights-only unpickler refuses."""


def test_torch_file_with_python_objects(tmp_path):
    path = tmp_path / "trainer.pth"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "trainer": Opaque()}, path)
    with pytest.raises(CheckpointError, match=r"holds Python objects besides tensors, which are not unpickled for safety \(weights_only=True\); re-save only the weights"):
        load_state_dict(path)


def test_torch_file_without_a_state_dict(tmp_path):
    path = tmp_path / "stats.pth"
    torch.save({"epoch": 3, "lr": 0.1}, path)
    with pytest.raises(CheckpointError, match=r"holds a dict with keys \['epoch', 'lr'\], not a state dict; expected tensors by name, directly or under 'state_dict', 'model' or 'teacher'"):
        load_state_dict(path)


@pytest.fixture
def offline_hub(tmp_path, monkeypatch) -> Path:
    """An HF hub cache with one snapshot of repo ``acme/sapiens2-test``; the hub is offline."""
    cache = tmp_path / "hub"
    repo = cache / "models--acme--sapiens2-test"
    snapshot = repo / "snapshots" / ("0" * 40)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot.mkdir(parents=True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return snapshot


def test_hf_uri_from_the_cache(offline_hub, reference):
    (offline_hub / "pose").mkdir()
    shutil.copy(POSE, offline_hub / "pose" / "sapiens2_pose.safetensors")
    assert_same_tensors(load_state_dict("hf://acme/sapiens2-test/pose/sapiens2_pose.safetensors"), reference)


def test_hf_sharded_index_fetches_its_shards(offline_hub, reference):
    write_shards(reference, offline_hub / "sharded", shards=3)
    assert_same_tensors(load_state_dict("hf://acme/sapiens2-test/sharded/model.safetensors.index.json"), reference)


def test_hf_file_not_cached_offline(offline_hub):
    with pytest.raises(
        CheckpointError,
        match=r"^hf://acme/sapiens2-test/missing\.safetensors is not in the local Hugging Face cache and cannot be downloaded \(offline",
    ):
        load_state_dict("hf://acme/sapiens2-test/missing.safetensors")


def test_hf_uri_without_a_file():
    with pytest.raises(CheckpointError, match=r"'hf://acme/sapiens2-test' names no file: write hf://org/repo/path/to/file\.safetensors"):
        load_state_dict("hf://acme/sapiens2-test")
