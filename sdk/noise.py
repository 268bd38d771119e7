"""Import-time warnings from libraries that a user cannot act on, silenced for our command line.

torchao warns on import that its CUDA-only kernels (mxfp8, cutlass) cannot load on the CPU build
of torch, and torch's pytree that an enum torchao registers is natively supported now. Both come
on every ``sapiens2`` command that touches ExecuTorch or quantization, in the main process and in
the benchmark's compile children, and bury our progress output. Errors still show.
"""

from __future__ import annotations

import logging

IMPORT_TIME_NOISE = ("torchao", "torch.utils._pytree")


def silence_import_noise() -> None:
    """Raise the noisy libraries' loggers to ERROR (call before they are imported)."""
    for name in IMPORT_TIME_NOISE:
        logging.getLogger(name).setLevel(logging.ERROR)
