"""What a run writes: the model in the official layout, its metadata, and the resumable training state.

``model.safetensors`` holds ``backbone.*`` and ``decode_head.*`` only (the released task files'
layout; a pretraining run writes the unprefixed backbone, as the released pretrain files), so ``sapiens2 inspect`` and the strict loader read it like an official checkpoint; under
FSDP the full state dict is gathered first, so sharded runs still end in one file. The training
state (weights, optimizer, scheduler, RNG, stream position, EMA) is Accelerate's ``save_state``
folder, replaced atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

MODEL_FILE = "model.safetensors"
METADATA_FILE = "model.json"
STATE_DIR = "state"


class Progress:
    """The step counter Accelerate saves with the state (the stream position follows from it)."""

    def __init__(self) -> None:
        self.step = 0

    def state_dict(self) -> dict[str, int]:
        return {"step": self.step}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.step = int(state["step"])


def save_model_file(state_dict: dict[str, torch.Tensor], out_dir: Path, metadata: dict[str, Any], name: str = MODEL_FILE) -> Path:
    """Write the tensors as safetensors (and the JSON metadata next to them) atomically; returns the file."""
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    path = out_dir / name
    _atomic(path, lambda temporary: save_file(tensors, temporary, metadata={"format": "pt"}))
    _atomic(path.with_suffix(".json"), lambda temporary: Path(temporary).write_text(json.dumps(metadata, indent=1)))
    return path


def save_training_state(accelerator: Any, out_dir: Path) -> None:
    """Accelerate ``save_state`` into a fresh folder, then swap it in for the previous one."""
    final = out_dir / STATE_DIR
    staging = out_dir / f".{STATE_DIR}.new"
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(staging))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        old = out_dir / f".{STATE_DIR}.old"
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            final.rename(old)
        staging.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def has_training_state(out_dir: Path) -> bool:
    return (out_dir / STATE_DIR).is_dir()


def _atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
