"""Checks on a checkpoint's content that the layout inference cannot make: holes, odd heads, broken numbers.

``infer_layout`` reads the head from whatever keys exist, so a missing stage would quietly give a
shorter head and surface as a shape mismatch of the next layer; a kernel size the head builder
has no padding rule for, or an output count the labels do not describe, would crash later. Each
becomes a ``CheckpointError`` naming the problem here, before the model is built.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

import torch

from ..models.heads.blocks import deconv_padding
from ..models.multitask_model import HEADS_PREFIX, MULTITASK
from ..processing.keypoint_sets import sidecar_record
from ..processing.metadata import keypoint_metadata, segmentation_metadata
from ..errors import CheckpointError
from .infer import HEAD_PREFIX, CheckpointLayout

# Indexed head modules: (key pattern, first index, step). Conv stages are [op, norm, act] (0, 3, 6 ...).
HEAD_STAGES = (
    (r"deconv_layers\.(\d+)\.weight", 0, 3),
    (r"conv_layers\.(\d+)\.weight", 0, 3),
    (r"scale_conv_layers\.(\d+)\.weight", 0, 3),
    (r"upsample_blocks\.(\d+)\.0\.weight", 0, 1),
    (r"scale_final_layer\.(\d+)\.weight", 1, 2),
)
PREVIEW = 5


def check_head(source: object, layout: CheckpointLayout, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Refuse a task head with missing stages, kernel sizes outside the official rules, or an output
    count (keypoints, classes) that the SDK's label metadata does not describe."""
    if layout.kind != "task" or layout.head is None:
        return
    if layout.task == MULTITASK:  # each head is checked as the single-task head it is
        for name, head in layout.head.items():
            prefix = f"{HEADS_PREFIX}{name}."
            part = {HEAD_PREFIX + k.removeprefix(prefix): v for k, v in state_dict.items() if k.startswith(prefix)}
            check_head(source, replace(layout, task=name, head=head), part)
        return
    missing = _missing_stage_keys(state_dict)
    if missing:
        raise CheckpointError(
            f"{source} is missing keys: {', '.join(missing[:PREVIEW])}; its decode_head has a hole where a stage "
            "should be (a truncated or hand-edited checkpoint): download or export it again"
        )
    head = layout.head
    for kernel in head.get("deconv_kernel_sizes", ()):
        try:
            deconv_padding(kernel)
        except ValueError as error:
            raise CheckpointError(f"{source}: its decode_head has a deconv of kernel {kernel}; {error} (official: 4)") from None
    even = [k for k in (*head.get("conv_kernel_sizes", ()), *head.get("scale_conv_kernel_sizes", ())) if k % 2 == 0]
    if even:
        raise CheckpointError(
            f"{source}: its decode_head has a conv of even kernel size {even[0]}, which would shift the output; "
            "the official heads use 1x1 and 3x3 convs"
        )
    _check_output_count(source, layout)


def check_finite(source: object, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Refuse weights holding NaN or inf: the model would only produce NaN (a corrupt file or a failed training)."""
    broken = [key for key, tensor in state_dict.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if broken:
        raise CheckpointError(
            f"{source} has NaN or inf weights in {len(broken)} tensor(s) ({', '.join(broken[:PREVIEW])}): "
            "the file is corrupt or the training diverged; use another checkpoint"
        )


def _missing_stage_keys(state_dict: Mapping[str, torch.Tensor]) -> list[str]:
    missing = []
    for pattern, first, step in HEAD_STAGES:
        regex = re.compile(pattern)
        found = {int(m.group(1)) for key in state_dict if (m := regex.fullmatch(key.removeprefix(HEAD_PREFIX)))}
        if found:
            expected = range(first, max(found) + 1, step)
            missing += [HEAD_PREFIX + pattern.replace(r"(\d+)", str(i)).replace("\\", "") for i in expected if i not in found]
    return missing


def _check_output_count(source: object, layout: CheckpointLayout) -> None:
    """The head's keypoint / class count must be the official set's, or named by the checkpoint's own
    metadata (``<name>.json`` beside it, as ``sapiens2 train`` writes for a dataset's label set)."""
    head = layout.head or {}
    if layout.task == "pose":
        count, known, what = head["out_channels"], len(keypoint_metadata().names), "keypoints"
    elif layout.task == "seg":
        count, known, what = head["num_classes"], len(segmentation_metadata().names), "classes"
    else:
        return
    if count == known or len(sidecar_label_names(source, what)) == count:
        return
    raise CheckpointError(
        f"{source} is a {layout.task} model with {count} {what}, but the SDK's {what} metadata (names, skeleton, "
        f"colours) describes the official {known}: this head was not trained with the Sapiens2 label set (a "
        f"checkpoint of your own label set needs its {what} named in a .json beside it, as `sapiens2 train` writes)"
    )


def sidecar_label_names(source: object, what: str) -> list[str]:
    """The ``names`` of ``what`` (keypoints, classes) in the metadata beside a local checkpoint file, if any."""
    entry = sidecar_record(source, what)
    return [] if entry is None else [str(name) for name in entry["names"]]
