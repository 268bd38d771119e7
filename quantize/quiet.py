"""Silence the quantization tools: they log every skipped node and draw progress bars on stdout.

The command line shows its own stage progress on stderr; the tools' chatter would bury it.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

TOOL_LOGGERS = ("", "nncf")  # ORT's quantizer logs through the root logger


@contextlib.contextmanager
def quiet_tools() -> Iterator[None]:
    """Raise the tools' loggers to ERROR and swallow stdout for the duration of the block."""
    loggers = [logging.getLogger(name) for name in TOOL_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


@contextlib.contextmanager
def root_logger_kept() -> Iterator[None]:
    """Undo what an import does to the root logger (some tools call ``logging.basicConfig(level=INFO)`` on import)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        root.setLevel(level)
        root.handlers[:] = handlers
