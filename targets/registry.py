"""The registry: target name -> its ``Target`` class, imported only when the target is used.

A new target is a folder under ``targets/`` with a ``target.py`` and one line here. Tests and
plugins add one at run time with ``register`` (nothing here changes at import).
"""

from __future__ import annotations

import importlib

from sapiens2.errors import UserError

from .base import Target

# name -> "module:Class" (imported on first use) or the class itself (registered at run time).
TARGETS: dict[str, str | type[Target]] = {
    "onnx": "sapiens2.targets.onnx.target:OnnxTarget",
    "openvino": "sapiens2.targets.openvino.target:OpenVinoTarget",
    "torch": "sapiens2.targets.torch.target:TorchTarget",
    "executorch": "sapiens2.targets.executorch.target:ExecuTorchTarget",
    "coreml": "sapiens2.targets.coreml.target:CoreMLTarget",
}


def register(target: type[Target]) -> None:
    """Make ``target`` available under ``target.name`` (replacing any target of that name)."""
    TARGETS[target.name] = target


def get_target(name: str) -> Target:
    """The target called ``name``."""
    if name not in TARGETS:
        raise UserError(f"unknown target {name!r}; known targets: {', '.join(TARGETS)}")
    entry = TARGETS[name]
    if isinstance(entry, str):
        module_name, class_name = entry.split(":")
        entry = getattr(importlib.import_module(module_name), class_name)
    return entry()


def compile_targets() -> tuple[str, ...]:
    """The targets something compiles to (``torch`` only runs bundles, as their reference)."""
    return tuple(name for name in TARGETS if get_target(name).capabilities.compiles)
