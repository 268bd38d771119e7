"""What a state dict says about the model that wrote it, read from key names, shapes and dtypes.

No tensor values are read, so meta tensors (a safetensors header) work as well as loaded ones. The
result holds exactly what ``build_backbone`` / ``build_task_model`` need to rebuild the model.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import torch

from ..models import ARCHS, ArchSpec, official_name
from ..models.arch_zoo import MHSA_EARLY, MHSA_LATE
from ..models.multitask_model import HEAD_TASKS, HEADS_PREFIX, MULTITASK
from ..errors import CheckpointError

BACKBONE_PREFIX = "backbone."
HEAD_PREFIX = "decode_head."
ROPE_PERIODS = "rope_embed.periods"
DEFAULT_IMG_SIZE = (1024, 768)
# Only used to fill the arch numbers of a custom-size backbone without tokenizer (then unused by the model).
FALLBACK_TOKENIZER_LAYERS = 2
# The keys every Sapiens2 encoder has; their absence means the file is something else.
BACKBONE_SIGNATURE = (
    "patch_embed.projection.weight",
    "blocks.0.attn.wq.weight",
    "blocks.0.attn.wk.weight",
    "blocks.0.ffn.w12.weight",
    "blocks.0.ffn.w3.weight",
)
OUTPUT_CONV_TASKS = {
    "conv_pose": "pose",
    "conv_seg": "seg",
    "conv_normal": "normal",
    "conv_pointmap": "pointmap",
    "conv_albedo": "albedo",
}

StateDict = Mapping[str, torch.Tensor]


@dataclass(frozen=True)
class CheckpointLayout:
    """The model a state dict belongs to: kind, arch, task head, RoPE dtype and a few counts."""

    kind: str
    arch: ArchSpec
    arch_name: str | None
    use_tokenizer: bool
    patch_size: int
    window_size: int | None
    rope_dtype: str
    task: str | None
    head: dict[str, Any] | None
    img_size: tuple[int, int]
    num_params: int
    num_keys: int
    dtypes: dict[str, int]

    def backbone_kwargs(self) -> dict[str, Any]:
        """Constructor keywords (besides the arch) that rebuild this checkpoint's encoder."""
        kwargs: dict[str, Any] = {
            "use_tokenizer": self.use_tokenizer,
            "patch_size": self.patch_size,
            "img_size": self.img_size,
            "pos_embed_rope_dtype": self.rope_dtype,
        }
        if self.window_size is not None:
            kwargs["window_size"] = self.window_size
        return kwargs

    def describe_arch(self) -> str:
        return describe_arch(self.arch, self.use_tokenizer)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: the arch as its five numbers, tuples as lists."""
        data = asdict(self)
        if self.head is not None:
            data["head"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.head.items()}
        data["img_size"] = list(self.img_size)
        return data


def describe_arch(spec: ArchSpec, use_tokenizer: bool = False) -> str:
    """``sapiens2_0.4b (embed 1024, 24 layers)``, or the five numbers of a custom size."""
    tokenizer = ", 4K tokenizer" if use_tokenizer else ""
    name = official_name(spec)
    if name:
        return f"{name} (embed {spec.embed_dims}, {spec.num_layers} layers{tokenizer})"
    numbers = f"embed {spec.embed_dims}, {spec.num_layers} layers, {spec.num_heads} heads, ffn {spec.feedforward_channels}"
    if use_tokenizer:
        numbers += f", {spec.num_tokenizer_layers} tokenizer layers"
    return f"a custom arch ({numbers})"


def infer_layout(state_dict: StateDict) -> CheckpointLayout:
    """Everything about the checkpoint's model; raises ``CheckpointError`` if it is no Sapiens2 model."""
    is_multitask = any(key.startswith(HEADS_PREFIX) for key in state_dict)
    is_task = is_multitask or any(key.startswith(HEAD_PREFIX) for key in state_dict)
    backbone = backbone_part(state_dict) if is_task else state_dict
    _require_backbone(backbone, state_dict, is_task)
    spec = infer_arch(backbone)
    window_size = infer_window_size(backbone)
    patch_size = backbone["patch_embed.projection.weight"].shape[-1]
    task = head = None
    img_size = DEFAULT_IMG_SIZE
    if is_multitask:
        task, head = MULTITASK, infer_multitask_heads(state_dict, spec.embed_dims)
    elif is_task:
        head_sd = _strip(state_dict, HEAD_PREFIX)
        task = infer_task(head_sd)
        head = infer_head(task, head_sd, spec.embed_dims)
        if task == "pointmap":
            img_size = infer_img_size(head, patch_size * (window_size or 1))
    return CheckpointLayout(
        kind="task" if is_task else "backbone",
        arch=spec,
        arch_name=official_name(spec),
        use_tokenizer=window_size is not None,
        patch_size=patch_size,
        window_size=window_size,
        rope_dtype=infer_rope_dtype(backbone),
        task=task,
        head=head,
        img_size=img_size,
        num_params=count_parameters(state_dict),
        num_keys=len(state_dict),
        dtypes=dtype_counts(state_dict),
    )


def backbone_part(state_dict: StateDict) -> dict[str, torch.Tensor]:
    """The encoder keys of a task state dict, ``backbone.`` stripped; the head is dropped."""
    return _strip(state_dict, BACKBONE_PREFIX)


def infer_arch(backbone: StateDict) -> ArchSpec:
    """The five arch numbers; raises if the kv heads break the official GQA rule."""
    embed_dims = backbone["patch_embed.projection.weight"].shape[0]
    head_dim = _head_dim(backbone)
    num_layers = _count_indexed(backbone, r"blocks\.(\d+)\.")
    tokenizer_layers = _count_indexed(backbone, r"tokenizer\.blocks\.(\d+)\.")
    numbers = (embed_dims, num_layers, embed_dims // head_dim, backbone["blocks.0.ffn.w3.weight"].shape[1])
    spec = ArchSpec(*numbers, tokenizer_layers or _zoo_tokenizer_layers(numbers))
    _check_kv_heads(backbone, spec, head_dim)
    return spec


def infer_window_size(backbone: StateDict) -> int | None:
    """The 4K tokenizer's window side (``local_pos_embed`` holds 1 + window^2 slots), None without tokenizer."""
    pos_embed = backbone.get("tokenizer.local_pos_embed")
    return None if pos_embed is None else math.isqrt(pos_embed.shape[1] - 1)


def infer_rope_dtype(backbone: StateDict) -> str:
    """``"bf16"`` when the stored periods are bfloat16 (the official default), else ``"fp32"``."""
    periods = backbone.get(ROPE_PERIODS)
    return "bf16" if periods is None or periods.dtype == torch.bfloat16 else "fp32"


def infer_task(head: StateDict) -> str:
    """The task, named by the head's output conv."""
    for conv, task in OUTPUT_CONV_TASKS.items():
        if f"{conv}.weight" in head:
            return task
    convs = ", ".join(OUTPUT_CONV_TASKS)
    raise CheckpointError(f"its decode_head has no output conv ({convs}), so it is no Sapiens2 task head")


def infer_multitask_heads(state_dict: StateDict, embed_dims: int) -> dict[str, dict[str, Any]]:
    """Per head of a multitask checkpoint (``decode_heads.pose.*``, ``decode_heads.seg.*``), its config."""
    heads = {}
    for name in HEAD_TASKS:
        head_sd = _strip(state_dict, f"{HEADS_PREFIX}{name}.")
        if not head_sd or infer_task(head_sd) != name:
            raise CheckpointError(f"it is a multitask checkpoint but has no {name} head under '{HEADS_PREFIX}{name}.'")
        heads[name] = infer_head(name, head_sd, embed_dims)
    return heads


def infer_head(task: str, head: StateDict, embed_dims: int) -> dict[str, Any]:
    """The head config (official config keys) that rebuilds exactly these ``decode_head`` keys and shapes."""
    if task in ("pose", "seg"):
        deconvs = _stage_weights(head, r"deconv_layers\.(\d+)\.weight")
        config = {
            "in_channels": deconvs[0].shape[0] if deconvs else _first_conv_input(head, task),
            "deconv_out_channels": tuple(w.shape[1] for w in deconvs),
            "deconv_kernel_sizes": tuple(w.shape[2] for w in deconvs),
            **_conv_config(head, "conv_layers"),
        }
        output = head[f"conv_{task}.weight"].shape[0]
        config["out_channels" if task == "pose" else "num_classes"] = output
    else:
        upsample = _stage_weights(head, r"upsample_blocks\.(\d+)\.0\.weight")
        config = {
            "in_channels": head["input_conv.0.weight"].shape[1],
            "upsample_channels": tuple(w.shape[0] // 4 for w in upsample),  # PixelShuffle(2) takes 4c
            **_conv_config(head, "conv_layers"),
        }
        if task == "pointmap":
            scale_convs = _conv_config(head, "scale_conv_layers")
            linears = _stage_weights(head, r"scale_final_layer\.(\d+)\.weight")
            config |= {
                "scale_conv_out_channels": scale_convs["conv_out_channels"],
                "scale_conv_kernel_sizes": scale_convs["conv_kernel_sizes"],
                "scale_final_layer": (linears[0].shape[1], *(w.shape[0] for w in linears)),
            }
    if config["in_channels"] != embed_dims:
        raise CheckpointError(
            f"its decode_head takes {config['in_channels']} channels but its backbone gives {embed_dims}; "
            "the head and backbone come from different models"
        )
    return config


def infer_img_size(head: Mapping[str, Any], token_stride: int) -> tuple[int, int]:
    """The input (H, W) fixed by a pointmap scale MLP, when it is the standard 4:3; else 1024x768.

    The MLP's first width is rows * cols * channels of the token grid after the stride-2 scale convs;
    a 4:3 grid has rows * cols = 12 k^2 (rows 4k, cols 3k).
    """
    cells, remainder = divmod(head["scale_final_layer"][0], head["scale_conv_out_channels"][-1])
    k = math.isqrt(cells // 12)
    if remainder or k == 0 or cells != 12 * k * k:
        return DEFAULT_IMG_SIZE
    stride = token_stride * 2 ** len(head["scale_conv_out_channels"])
    return (4 * k * stride, 3 * k * stride)


def count_parameters(state_dict: StateDict) -> int:
    """Parameters, not buffers: the RoPE periods are left out, as in ``model.parameters()``."""
    return sum(t.numel() for key, t in state_dict.items() if not key.endswith(ROPE_PERIODS))


def dtype_counts(state_dict: StateDict) -> dict[str, int]:
    """Tensor dtype name -> number of tensors, most common first."""
    counts = Counter(str(t.dtype).removeprefix("torch.") for t in state_dict.values())
    return dict(counts.most_common())


def _strip(state_dict: StateDict, prefix: str) -> dict[str, torch.Tensor]:
    return {key[len(prefix) :]: value for key, value in state_dict.items() if key.startswith(prefix)}


def _require_backbone(backbone: StateDict, state_dict: StateDict, is_task: bool) -> None:
    missing = [key for key in BACKBONE_SIGNATURE if key not in backbone]
    if not missing:
        return
    prefix = BACKBONE_PREFIX if is_task else ""
    if "layers.0.attn.qkv.weight" in backbone:
        reason = "it looks like a Sapiens (v1) model, whose layers differ from Sapiens2 (fused qkv, GELU MLP, learned pos_embed)"
    elif is_task:
        reason = f"its decode_head comes without the backbone keys ('{prefix}{missing[0]}' ...)"
    else:
        reason = f"none of its keys look like a Sapiens2 encoder (no '{missing[0]}')"
    sample = ", ".join(list(state_dict)[:5])
    raise CheckpointError(
        f"not a Sapiens2 checkpoint: {reason}; its {len(state_dict)} keys start with: {sample}. "
        "Give a Sapiens2 pretrain (backbone) or task checkpoint"
    )


def _head_dim(backbone: StateDict) -> int:
    q_norm = backbone.get("blocks.0.attn.q_norm.weight")
    if q_norm is not None:
        return q_norm.shape[0]
    periods = backbone.get(ROPE_PERIODS)
    if periods is not None:
        return 4 * periods.shape[0]  # RoPE keeps head_dim / 4 periods
    raise CheckpointError(
        "not a complete Sapiens2 encoder: it has neither 'blocks.0.attn.q_norm.weight' nor 'rope_embed.periods', "
        "so the number of attention heads cannot be told"
    )


def _count_indexed(state_dict: StateDict, pattern: str) -> int:
    """1 + the highest index captured by ``pattern`` at the start of a key (0 when none matches)."""
    regex = re.compile(pattern)
    indices = [int(m.group(1)) for key in state_dict if (m := regex.match(key))]
    return max(indices, default=-1) + 1


def _zoo_tokenizer_layers(numbers: tuple[int, int, int, int]) -> int:
    """The zoo's tokenizer depth for this size, so that ``official_name`` recognises it."""
    for spec in ARCHS.values():
        if (spec.embed_dims, spec.num_layers, spec.num_heads, spec.feedforward_channels) == numbers:
            return spec.num_tokenizer_layers
    return FALLBACK_TOKENIZER_LAYERS


def _check_kv_heads(backbone: StateDict, spec: ArchSpec, head_dim: int) -> None:
    for layer in range(spec.num_layers):
        wk = backbone.get(f"blocks.{layer}.attn.wk.weight")
        if wk is not None and wk.shape[0] != spec.kv_heads(layer) * head_dim:
            raise CheckpointError(
                f"block {layer} has {wk.shape[0] // head_dim} key/value heads where the official rule gives "
                f"{spec.kv_heads(layer)} (all {spec.num_heads} heads in the first {MHSA_EARLY} and last {MHSA_LATE} "
                f"blocks, half between); this attention layout is not a Sapiens2 one and cannot be built"
            )


def _stage_weights(head: StateDict, pattern: str) -> list[torch.Tensor]:
    """Weights whose key matches ``pattern`` (one index group), in index order."""
    regex = re.compile(pattern)
    found = {int(m.group(1)): t for key, t in head.items() if (m := regex.fullmatch(key))}
    return [found[i] for i in sorted(found)]


def _conv_config(head: StateDict, module: str) -> dict[str, tuple[int, ...]]:
    convs = _stage_weights(head, rf"{module}\.(\d+)\.weight")
    return {
        "conv_out_channels": tuple(w.shape[0] for w in convs),
        "conv_kernel_sizes": tuple(w.shape[2] for w in convs),
    }


def _first_conv_input(head: StateDict, task: str) -> int:
    """Head input width when there are no deconvs: the first conv (or the output conv) reads the featmap."""
    convs = _stage_weights(head, r"conv_layers\.(\d+)\.weight")
    return (convs[0] if convs else head[f"conv_{task}.weight"]).shape[1]
