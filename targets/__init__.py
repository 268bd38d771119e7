"""Targets behind one interface: ``get_target(name)`` -> ``Target``; ``open_bundle(path)`` -> ``Runtime``.

Each target is a folder (``onnx``, ``openvino``, ``executorch``, ``coreml``, ``torch``) holding its
exporter, quantizer and runtime; ``base`` declares the ``Target`` interface and its capability
table, ``registry`` maps names to targets, ``runtime`` the ``Runtime`` every adapter implements.
A target's toolchain is imported only when a bundle or a compile needs it.
"""

from sapiens2.errors import RuntimeUnavailableError

from .base import Capabilities, ExportedArtifact, Quantizer, Target
from .registry import TARGETS, compile_targets, get_target, register
from .runtime import Runtime, open_bundle, open_verified, runtime_class

open = open_bundle

# ``open`` stays out of __all__ so that a star import never shadows the builtin.
__all__ = [
    "TARGETS",
    "Capabilities",
    "ExportedArtifact",
    "Quantizer",
    "Runtime",
    "RuntimeUnavailableError",
    "Target",
    "compile_targets",
    "get_target",
    "open_bundle",
    "open_verified",
    "register",
    "runtime_class",
]
