"""Official head configurations per task and size (1024x768 input).

There are no official 0.1b task heads; the SDK uses the 0.4b configuration for 0.1b. The pointmap
scale MLP's input width depends on the input resolution, so it is computed from ``img_size``.
"""

from __future__ import annotations

from typing import Any, Sequence

TASKS = ("pose", "seg", "normal", "pointmap", "albedo")

_SMALL = ("sapiens2_0.1b", "sapiens2_0.4b", "sapiens2_0.8b")

_POSE = {
    "default": {"deconv_out_channels": (1024, 768), "conv_out_channels": (512, 512, 256)},
    "sapiens2_1b": {"deconv_out_channels": (1536, 1024), "conv_out_channels": (768, 512, 256)},
}
_NORMAL = {
    "default": {"upsample_channels": (768, 512, 256, 128), "conv_out_channels": (64, 32, 16)},
    "sapiens2_5b": {"upsample_channels": (1536, 768, 512, 256), "conv_out_channels": (128, 64, 32)},
}
_POINTMAP = {
    "default": {"upsample_channels": (1536, 768, 512, 256), "conv_out_channels": (64, 32, 16)},
    "sapiens2_5b": {"upsample_channels": (1536, 768, 768, 768), "conv_out_channels": (128, 64, 32)},
}
_ALBEDO = {
    "default": {"upsample_channels": (768, 512, 256, 128), "conv_out_channels": (64, 32, 16)},
    "sapiens2_5b": {"upsample_channels": (1536, 768, 512, 256), "conv_out_channels": (64, 32, 16)},
}
SCALE_CONV_CHANNELS = (1536, 512, 128)


def scale_mlp_width(img_size: Sequence[int], patch_size: int, tokens_per_side: int, last_channels: int) -> int:
    """Flattened width after three stride-2 1x1 convs on the backbone grid."""
    rows, cols = (s // patch_size // tokens_per_side for s in img_size)
    for _ in range(3):
        rows, cols = (rows + 1) // 2, (cols + 1) // 2
    return rows * cols * last_channels


def head_preset(
    task: str,
    arch_name: str | None,
    embed_dims: int,
    img_size: Sequence[int] = (1024, 768),
    patch_size: int = 16,
    tokens_per_side: int = 1,
) -> dict[str, Any]:
    """The official head config (keys as in the official configs) for ``task`` and ``arch_name``."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; tasks: {', '.join(TASKS)}")
    name = arch_name or "default"
    base: dict[str, Any] = {"in_channels": embed_dims}
    if task == "pose":
        base |= {"out_channels": 308, "deconv_kernel_sizes": (4, 4), "conv_kernel_sizes": (1, 1, 1)}
        return base | _POSE.get(name, _POSE["default"])
    if task == "seg":
        return base | {
            "num_classes": 29,
            "deconv_out_channels": (512, 256, 128, 64),
            "deconv_kernel_sizes": (4, 4, 4, 4),
            "conv_out_channels": (64, 64),
            "conv_kernel_sizes": (1, 1),
        }
    table = {"normal": _NORMAL, "pointmap": _POINTMAP, "albedo": _ALBEDO}[task]
    config = base | {"conv_kernel_sizes": (3, 3, 3)} | table.get(name, table["default"])
    if task == "pointmap":
        width = scale_mlp_width(img_size, patch_size, tokens_per_side, SCALE_CONV_CHANNELS[-1])
        config |= {
            "scale_conv_out_channels": SCALE_CONV_CHANNELS,
            "scale_conv_kernel_sizes": (1, 1, 1),
            "scale_final_layer": (width, 512, 128, 1),
        }
    return config
