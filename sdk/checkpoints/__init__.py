"""Checkpoints: read any official layout (safetensors, shards, torch wrappers, hf://), tell what it
holds, and load it into the matching model."""

from ..errors import CheckpointError
from .infer import CheckpointLayout, infer_layout
from .info import CheckpointInfo, inspect_checkpoint
from .loading import load_model
from .readers import load_state_dict

__all__ = [
    "CheckpointError",
    "CheckpointInfo",
    "CheckpointLayout",
    "infer_layout",
    "inspect_checkpoint",
    "load_model",
    "load_state_dict",
]
