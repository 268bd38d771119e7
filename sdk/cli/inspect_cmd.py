"""``sapiens2 inspect CHECKPOINT [--json]``: what a checkpoint holds, without building the model."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.table import Table

from ..checkpoints import CheckpointInfo, inspect_checkpoint
from ..processing.keypoint_sets import is_official
from ..processing.metadata import KeypointMetadata

KEYPOINT_PREVIEW = 5


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show a checkpoint's arch, task head, RoPE dtype, parameters and size",
        description="Read a checkpoint (safetensors header only where possible) and say which Sapiens2 model it holds.",
    )
    parser.add_argument(
        "checkpoint",
        help="a .safetensors or .pth/.pt/.bin file, a *.safetensors.index.json, a folder holding one, or hf://org/repo/file",
    )
    parser.add_argument("--json", action="store_true", help="print the facts as one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    info = inspect_checkpoint(args.checkpoint)
    if args.json:
        print(json.dumps(info.to_dict(), indent=2))
    else:
        Console().print(summary_table(info))
    return 0


def summary_table(info: CheckpointInfo) -> Table:
    """Two columns, one fact per row, in the order a user asks: what model, then what file."""
    layout = info.layout
    table = Table(title=info.source, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    rows = [
        ("Arch", layout.describe_arch()),
        ("4K tokenizer", f"yes (window {layout.window_size})" if layout.use_tokenizer else "no"),
        ("Parameters", format_count(layout.num_params)),
        ("Kind", layout.kind),
    ]
    if layout.task:
        rows += [("Task", layout.task), ("Head", format_head(layout.head or {}))]
    if info.keypoints is not None:
        rows.append(("Keypoints", format_keypoints(info.keypoints)))
    rows += [
        ("Input size (H x W)", f"{layout.img_size[0]} x {layout.img_size[1]}"),
        ("RoPE dtype", layout.rope_dtype),
        ("Tensor dtypes", ", ".join(f"{name} x{count}" for name, count in layout.dtypes.items())),
        ("Keys", str(layout.num_keys)),
        ("Format", f"{info.format} ({len(info.files)} file{'s' if len(info.files) > 1 else ''})"),
        ("File size", format_bytes(info.file_size)),
    ]
    for field, value in rows:
        table.add_row(field, value)
    return table


def format_keypoints(keypoints: KeypointMetadata) -> str:
    """``308 (official Sapiens2 set)``, or a model's own set with its first names."""
    if is_official(keypoints):
        return f"{len(keypoints.names)} (official Sapiens2 set)"
    names = ", ".join(keypoints.names[:KEYPOINT_PREVIEW]) + (", ..." if len(keypoints.names) > KEYPOINT_PREVIEW else "")
    return f"{len(keypoints.names)}, the checkpoint's own set (.json beside it), {len(keypoints.skeleton_links)} links: {names}"


def format_count(count: int) -> str:
    """Parameters in millions (``113.99 M``), or billions from 1e9 on."""
    return f"{count / 1e9:.3f} B" if count >= 1e9 else f"{count / 1e6:.2f} M"


def format_bytes(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.2f} {unit}"
    return f"{size} B"


def format_head(head: dict) -> str:
    if head and all(isinstance(value, dict) for value in head.values()):  # a multitask model: one config per head
        return " | ".join(f"{name} head: {format_head(config)}" for name, config in head.items())
    return "; ".join(f"{key}={_plain(value)}" for key, value in head.items())


def _plain(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
