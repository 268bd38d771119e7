"""Runtime adapters behind one interface: ``open_bundle(path) -> Runtime``; ``Runtime.run(batch) -> outputs``.

Adapters: ``onnxruntime`` (ONNX Runtime CPU), ``openvino`` (OpenVINO CPU), ``torch_eager`` (the
PyTorch reference). Each is imported only when a bundle needs it.
"""

from .runtime import (
    RUNTIMES,
    Runtime,
    RuntimeUnavailableError,
    open_bundle,
    open_verified,
    runtime_class,
)

open = open_bundle

# ``open`` stays out of __all__ so that a star import never shadows the builtin.
__all__ = ["RUNTIMES", "Runtime", "RuntimeUnavailableError", "open_bundle", "open_verified", "runtime_class"]
