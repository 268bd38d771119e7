"""Sizes refused before anything is allocated: too small to mean anything, or too large to fit in memory.

An out-of-memory kill ends a run with no message at all, often after the machine has swapped
for minutes. The estimates here are lower bounds (what must exist at once, not the allocator's
peak), so a refusal is certain to be right; a size that passes can still run out of memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import UserError

MEMINFO = Path("/proc/meminfo")
GB = 1e9
# An image smaller than one 16-pixel patch carries no person a model could see.
MIN_IMAGE_SIDE = 16
# float32 bytes per original-image pixel that post-processing holds at once: seg resizes all 29
# class logits to the image, dense tasks keep (H, W, 3) float maps plus their picture.
POSTPROCESS_BYTES_PER_PIXEL = {"pose": 0, "seg": 29 * 4 * 2, "normal": 3 * 4 * 2, "pointmap": 4 * 4 * 2, "albedo": 3 * 4 * 2}


def available_bytes() -> int | None:
    """MemAvailable + SwapFree from /proc/meminfo; None where the OS does not say (checks are skipped)."""
    try:
        fields = dict(line.split(":", 1) for line in MEMINFO.read_text().splitlines() if ":" in line)
        return sum(int(fields[name].split()[0]) * 1024 for name in ("MemAvailable", "SwapFree"))
    except (OSError, KeyError, ValueError):
        return None


def check_image_size(shape: tuple[int, ...], name: str = "image") -> None:
    """Refuse an image smaller than ``MIN_IMAGE_SIDE`` pixels on a side."""
    height, width = shape[:2]
    if min(height, width) < MIN_IMAGE_SIDE:
        raise UserError(
            f"{name} is {width}x{height} pixels; the smallest usable image is {MIN_IMAGE_SIDE}x{MIN_IMAGE_SIDE} "
            "(one model patch): give a larger image"
        )


def check_image_memory(shape: tuple[int, ...], task: str, name: str = "image", available: int | None = None) -> None:
    """Refuse an image whose post-processing at full resolution cannot fit in the memory left."""
    height, width = shape[:2]
    needed = height * width * POSTPROCESS_BYTES_PER_PIXEL.get(task, 0)
    _refuse_if_larger(needed, available, f"{task} post-processing of the {width}x{height} {name} at full resolution",
                      "give a smaller image (e.g. resize it to 4K)")  # fmt: skip


def inference_bytes(model: Any, input_size: tuple[int, int], batch_size: int, bytes_per_value: int = 4) -> int:
    """Lower bound of the memory one forward pass of ``batch_size`` inputs holds at once.

    The input, one transformer block's activations (``x``, q/k/v, the FFN's two hidden widths) and
    the head's widest map at its output resolution.
    """
    height, width = input_size
    backbone, head = model.backbone, model.head_config
    # The 4K tokenizer merges window x window patches before the blocks and the head see them.
    merged = backbone.tokenizer.window_size if backbone.tokenizer is not None else 1
    tokens = (height // (backbone.patch_size * merged)) * (width // (backbone.patch_size * merged))
    spec = backbone.arch_spec
    block = tokens * (4 * spec.embed_dims + 3 * spec.feedforward_channels)
    stages = head.get("deconv_out_channels") or head.get("upsample_channels") or ()
    widest = max([*stages[-1:], *head.get("conv_out_channels", ()), head.get("out_channels", 0), head.get("num_classes", 0), 3])
    head_map = tokens * 4 ** len(stages) * widest
    return batch_size * bytes_per_value * (3 * height * width + block + head_map)


def check_inference_memory(model: Any, input_size: tuple[int, int], batch_size: int, available: int | None = None) -> None:
    """Refuse an input size and batch size whose forward pass cannot fit in the memory left."""
    needed = inference_bytes(model, input_size, batch_size)
    height, width = input_size
    _refuse_if_larger(needed, available, f"a forward pass at {height}x{width} with batch size {batch_size}",
                      "use a smaller --input-size or --batch-size")  # fmt: skip


def _refuse_if_larger(needed: int, available: int | None, what: str, advice: str) -> None:
    available = available_bytes() if available is None else available
    if available is not None and needed > available:
        raise UserError(
            f"not enough memory: {what} needs at least {needed / GB:.1f} GB and {available / GB:.1f} GB is left "
            f"(free RAM + swap); {advice}"
        )
