"""Read a state dict from wherever a checkpoint lives.

Sources: a ``.safetensors`` file; a sharded checkpoint's ``*.safetensors.index.json``; a folder
holding one of those; a torch file (``.pth`` / ``.pt`` / ``.bin``) whose state dict may sit under
``state_dict``, ``model`` or ``teacher`` (as the official loader accepts); an ``hf://`` URI. The
format is recognised from the file's first bytes, so a mis-named download is reported for what
it is. A leading ``module.`` (DDP) is stripped from every key.
"""

from __future__ import annotations

import codecs
import json
import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from ..errors import CheckpointError
from .hub import HubFile, is_hub_source

SAFETENSORS = "safetensors"
SHARDED = "sharded safetensors"
TORCH = "torch"

INDEX_SUFFIX = ".safetensors.index.json"
TORCH_SUFFIXES = (".pth", ".pt", ".bin")
HF_SINGLE_FILE = "model.safetensors"  # the name Hugging Face / Accelerate give an unsharded checkpoint
# Official loader order; for the EMA teacher of pretraining the encoder sits under "backbone.".
WRAPPERS = (("state_dict", ""), ("model", ""), ("teacher", "backbone."))
DDP_PREFIX = "module."
SUPPORTED = "a .safetensors file, a .safetensors.index.json, a .pth/.pt/.bin torch file, a folder holding one, or hf://org/repo/file"

_SAFETENSORS_DTYPES = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F8_E4M3": torch.float8_e4m3fn,
    "F8_E5M2": torch.float8_e5m2,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}


@dataclass(frozen=True)
class CheckpointFiles:
    """The local files one checkpoint source resolved to, and their format."""

    source: str
    format: str
    paths: tuple[Path, ...]

    @property
    def size_bytes(self) -> int:
        return sum(path.stat().st_size for path in self.paths)


def locate_checkpoint(source: str | os.PathLike[str]) -> CheckpointFiles:
    """Resolve ``source`` to local files (downloading ``hf://`` ones into the HF cache) and detect the format."""
    text = os.fspath(source)
    if is_hub_source(text):
        hub_file = HubFile.parse(text)
        path = hub_file.download()
        return _files_for(text, path, lambda name: hub_file.sibling(name).download())
    path = Path(text).expanduser()
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {text} (no such file or folder)")
    if path.is_dir():
        path = _checkpoint_in_folder(path)
    return _files_for(text, path, lambda name: _local_shard(path, name))


def load_state_dict(source: str | os.PathLike[str], *, meta: bool = False) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors by key; ``meta=True`` returns shapes and dtypes only (meta tensors)."""
    return read_tensors(locate_checkpoint(source), meta=meta)


def read_tensors(files: CheckpointFiles, *, meta: bool = False) -> dict[str, torch.Tensor]:
    """Read located files; safetensors in ``meta`` mode read only the header."""
    if files.format == TORCH:
        tensors = _read_torch(files.paths[0])
        if meta:
            tensors = {key: value.to("meta") for key, value in tensors.items()}
    else:
        tensors = {}
        for path in files.paths:
            tensors.update(_read_safetensors(path, meta))
    return {key.removeprefix(DDP_PREFIX): value for key, value in tensors.items()}


def _checkpoint_in_folder(folder: Path) -> Path:
    indexes = sorted(folder.glob(f"*{INDEX_SUFFIX}"))
    if len(indexes) == 1:
        return indexes[0]
    if len(indexes) > 1:
        names = ", ".join(p.name for p in indexes)
        raise CheckpointError(f"folder {folder} holds several sharded checkpoints ({names}); give the index file of one")
    singles = sorted(folder.glob("*.safetensors"))
    if len(singles) == 1:
        return singles[0]
    if (folder / HF_SINGLE_FILE).is_file():
        return folder / HF_SINGLE_FILE
    if not singles:
        raise CheckpointError(
            f"folder {folder} holds no checkpoint (no .safetensors file, no *{INDEX_SUFFIX}) and no manifest.json "
            "(so it is no compiled bundle either); give a checkpoint file or a bundle folder made by `sapiens2 compile`"
        )
    names = ", ".join(p.name for p in singles[:5])
    raise CheckpointError(
        f"folder {folder} holds {len(singles)} .safetensors files ({names}), no {HF_SINGLE_FILE} and no index; "
        "give one of them"
    )


def _files_for(source: str, path: Path, fetch_shard: Callable[[str], Path]) -> CheckpointFiles:
    if path.name.endswith(INDEX_SUFFIX):
        shards = dict.fromkeys(_weight_map(path).values())
        return CheckpointFiles(source, SHARDED, tuple(fetch_shard(name) for name in shards))
    return CheckpointFiles(source, _detect_format(path), (path,))


def _weight_map(index: Path) -> dict[str, str]:
    try:
        weight_map = json.loads(index.read_text()).get("weight_map")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        weight_map = None
    if not isinstance(weight_map, dict) or not weight_map:
        raise CheckpointError(
            f"{index} is not a safetensors index: it needs a non-empty \"weight_map\" of tensor name -> shard file"
        )
    return weight_map


def _local_shard(index: Path, name: str) -> Path:
    shard = index.parent / name
    if not shard.is_file():
        raise CheckpointError(
            f"index {index.name} names shard {name}, which is missing from {index.parent}; "
            "download every shard the index lists into that folder"
        )
    return shard


def _detect_format(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(512)
    if _looks_like_safetensors(head, path.stat().st_size):
        return SAFETENSORS
    if head.startswith((b"PK\x03\x04", b"\x80")):
        return TORCH  # zip archive (torch.save) or a legacy pickle
    if not head:
        raise CheckpointError(f"{path} is empty (0 bytes): the download or copy did not finish; fetch it again")
    content = _describe_content(head)
    if content is None and path.suffix == ".safetensors":
        return SAFETENSORS  # reading it reports the damage
    if content is None and path.suffix in TORCH_SUFFIXES:
        return TORCH
    raise CheckpointError(f"{path} is not a checkpoint (it looks like {content or 'unknown binary data'}); give {SUPPORTED}")


def _looks_like_safetensors(head: bytes, size: int) -> bool:
    """A little-endian u64 header length that fits the file, then the JSON header's ``{``."""
    return len(head) > 8 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") <= size - 8


def _describe_content(head: bytes) -> str | None:
    """What a non-checkpoint file looks like, for the error message; None when unrecognised."""
    signatures = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image"}
    for magic, name in signatures.items():
        if head.startswith(magic):
            return name
    try:
        # Incremental decoding tolerates a multi-byte character cut at the end of the sample.
        text = codecs.getincrementaldecoder("utf-8")().decode(head).lstrip()
    except UnicodeDecodeError:
        return None
    if not all(c.isprintable() or c.isspace() for c in text):
        return None
    if text.lower().startswith(("<!doctype html", "<html")):
        return "an HTML page (a failed download?)"
    if text.startswith(("{", "[")):
        return "a JSON file"
    return "a text file"


def _read_safetensors(path: Path, meta: bool) -> dict[str, torch.Tensor]:
    try:
        with safe_open(str(path), framework="pt") as handle:
            if not meta:
                return {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 (safe_open is no dict)
            return {key: _meta_tensor(handle.get_slice(key), key, path) for key in handle.keys()}  # noqa: SIM118 (safe_open is no dict)
    except SafetensorError as error:
        raise CheckpointError(f"{path} is truncated or corrupt ({error}); download or copy it again") from None


def _meta_tensor(tensor_slice: object, key: str, path: Path) -> torch.Tensor:
    name = tensor_slice.get_dtype()
    if name not in _SAFETENSORS_DTYPES:
        raise CheckpointError(f"{path}: tensor {key!r} has dtype {name}, which this SDK cannot load")
    return torch.empty(tensor_slice.get_shape(), dtype=_SAFETENSORS_DTYPES[name], device="meta")


def _read_torch(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":  # torch.load would hand the name to safetensors and fail obscurely
        raise CheckpointError(
            f"{path} is named .safetensors but holds a PyTorch (torch.save/pickle) file, not safetensors: "
            "rename it to .pth, or convert it with safetensors.torch.save_file"
        )
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if "Weights only load failed" not in str(error):
            raise CheckpointError(f"{path} is truncated or corrupt ({error}); download or copy it again") from None
        raise CheckpointError(
            f"{path} holds Python objects besides tensors, which are not unpickled for safety (weights_only=True); "
            "re-save only the weights: torch.save(model.state_dict(), path) or safetensors"
        ) from None
    except (RuntimeError, EOFError, ValueError) as error:
        raise CheckpointError(f"{path} is truncated or corrupt ({error}); download or copy it again") from None
    return _unwrap(loaded, path)


def _unwrap(loaded: object, path: Path) -> dict[str, torch.Tensor]:
    """Take the state dict out of an official wrapper (``state_dict`` / ``model`` / ``teacher``)."""
    if isinstance(loaded, dict):
        for wrapper, prefix in WRAPPERS:
            if isinstance(loaded.get(wrapper), dict):
                loaded = {key.removeprefix(prefix): value for key, value in loaded[wrapper].items()}
                break
    if not isinstance(loaded, dict) or not loaded or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        found = f"a dict with keys {list(loaded)[:5]}" if isinstance(loaded, dict) else type(loaded).__name__
        raise CheckpointError(
            f"{path} holds {found}, not a state dict; expected tensors by name, directly or under "
            "'state_dict', 'model' or 'teacher'"
        )
    return loaded
