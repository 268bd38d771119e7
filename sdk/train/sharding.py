"""FSDP2 on Accelerate: parameters, gradients and optimizer state sharded over the processes.

``run.fsdp: true`` (any launcher: ``torchrun`` or ``accelerate launch``) shards every encoder
block as its own unit, so a process holds one block's full weights at a time; ``accelerate launch
--use_fsdp --fsdp_version 2`` with its own options works as well. The model file at the end is
gathered into one safetensors file (``Accelerator.get_state_dict``); the training state is saved
sharded, one file set per rank, and ``merge_sharded_state`` turns it into one file too.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():  # accelerate's import adds a process-wide warnings filter: keep it to this block
    from accelerate import Accelerator, PartialState
    from accelerate.utils import DistributedType, FullyShardedDataParallelPlugin

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


def shard_on_cpu_too(accelerator: Accelerator, plugin: FullyShardedDataParallelPlugin) -> None:
    """Let Accelerate's FSDP2 path run on CPU processes (gloo) as it does on GPUs.

    Accelerate only switches to FSDP for accelerator devices and silently falls back to DDP for a
    multi-process CPU run; torch's ``fully_shard`` itself works on a CPU device mesh over gloo. So
    a CPU run that asked for FSDP2 gets the same state Accelerate sets up on GPUs, and trains,
    checkpoints and gathers through the same code (which is how the tests exercise it).
    """
    state = accelerator.state
    if state.distributed_type == DistributedType.MULTI_CPU:
        if accelerator.mixed_precision != "no":
            plugin.set_mixed_precision(accelerator.mixed_precision)
        state.fsdp_plugin = plugin
        # Both shared states: Accelerate re-creates AcceleratorState later and takes the type from PartialState.
        state.distributed_type = PartialState().distributed_type = DistributedType.FSDP
