"""Warnings from libraries that a user cannot act on, silenced for our command line.

torchao warns on import that its CUDA-only kernels (mxfp8, cutlass) cannot load on the CPU build
of torch, and torch's pytree that an enum torchao registers is natively supported now; while
ExecuTorch lowers a program, torch warns (FutureWarning) on every pickled ``LeafSpec``; off macOS,
coremltools warns at import that its native Core ML proxies are missing (``sapiens2.targets.coreml.runtime``
says what that means for prediction, once, itself). They come
on every ``sapiens2`` command that touches ExecuTorch or quantization, in the main process and in
the benchmark's compile children, and bury our progress output. Errors still show.
"""

from __future__ import annotations

import logging
import os
import warnings

FFMPEG_QUIET = "-8"  # AV_LOG_QUIET
IMPORT_TIME_NOISE = ("torchao", "torch.utils._pytree")
LIBRARY_FUTURE_WARNINGS = (r"`isinstance\(treespec, LeafSpec\)` is deprecated",)
# logger -> message prefixes to drop. coremltools also warns on import that scikit-learn (whose converter we do
# not use) is too new and that torch 2.13 is untested; the pinned pair is tested here (docs/toolchain.md).
LOGGED_MESSAGES = {"coremltools": ("Failed to load _ML", "scikit-learn version", "Torch version")}


class _DropMessages(logging.Filter):
    """Drops the records whose message starts with one of ``prefixes``; the logger's other records pass."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)


def silence_import_noise() -> None:
    """Raise the noisy libraries' loggers to ERROR and drop their deprecation chatter (call before importing them)."""
    for name in IMPORT_TIME_NOISE:
        logging.getLogger(name).setLevel(logging.ERROR)
    for message in LIBRARY_FUTURE_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=FutureWarning)
    for name, prefixes in LOGGED_MESSAGES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _DropMessages) for existing in logger.filters):
            logger.addFilter(_DropMessages(prefixes))
    # FFmpeg (inside OpenCV) prints a line per damaged packet of a corrupt video; predict's own warning
    # says how many frames were decoded of how many expected. Read when OpenCV opens a video.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", FFMPEG_QUIET)
