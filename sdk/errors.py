"""The SDK's one error hierarchy: everything a user can fix (bad path, wrong arch, corrupt file, bad option).

Every class derives from ``UserError``; the CLI turns it into a one-line message and exit code 2
instead of a traceback, and library callers catch it to tell user mistakes from bugs. Each layer
raises its own subclass so that a caller can catch, say, only bundle problems.
"""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A mistake the user can fix; the message says what was wrong and what to do."""

    exit_code = 2


class InputError(UserError, ValueError):
    """An image, video or camera could not be used; the message names the input and what to do."""


class ModelOutputError(UserError):
    """The model's outputs cannot be turned into a result (NaN/inf): the weights or precision are at fault."""


class CheckpointError(UserError):
    """A checkpoint that cannot be read or loaded as asked; the message says what was wrong and what to do."""


class BundleError(UserError):
    """A bundle is missing, malformed, fails its schema or its checksums; the message says which file."""


class RuntimeUnavailableError(UserError):
    """The runtime a bundle needs is not installed or cannot run on this machine."""


class CompileError(UserError):
    """An option combination or model that cannot be compiled; the message says what to change."""


class FidelityGateError(CompileError):
    """The compiled artifact disagrees with the PyTorch reference beyond the precision's threshold.

    No bundle is written; the report is kept at ``report_path`` so the numbers can be inspected.
    """

    def __init__(self, message: str, report_path: Path) -> None:
        super().__init__(f"{message}; no bundle written, report kept at {report_path}")
        self.failure = message  # the gate's verdict alone, as ``--precision auto`` records it
        self.report_path = report_path


class AccuracyGateError(FidelityGateError):
    """The quantized artifact is too far from fp32 on the held-out images; the report is kept."""


class MediaPipeUnavailable(UserError):
    """The MediaPipe environment could not be made or its worker stopped; the message says why."""
