"""FSDP2 on Accelerate: parameters, gradients and optimizer state sharded over the processes.

``run.fsdp: true`` (any launcher: ``torchrun`` or ``accelerate launch``) shards every encoder
block as its own unit, so a process holds one block's full weights at a time; ``accelerate launch
--use_fsdp --fsdp_version 2`` with its own options works as well. The model file at the end is
gathered into one safetensors file (``Accelerator.get_state_dict``); the training state is saved
sharded, one file set per rank, and ``merge_sharded_state`` turns it into one file too.
"""

from __future__ import annotations

import warnings
from pathlib import Path

with warnings.catch_warnings():  # accelerate's import adds a process-wide warnings filter: keep it to this block
    from accelerate.utils import FullyShardedDataParallelPlugin

from sapiens2.models.layers.block import EncoderBlock


def fsdp2_plugin() -> FullyShardedDataParallelPlugin:
    """FSDP2 with one shard unit per encoder block (and the root for the rest), sharded state saves."""
    return FullyShardedDataParallelPlugin(
        fsdp_version=2,
        auto_wrap_policy="transformer_based_wrap",
        transformer_cls_names_to_wrap=[EncoderBlock.__name__],
        state_dict_type="SHARDED_STATE_DICT",
        reshard_after_forward=True,
    )
