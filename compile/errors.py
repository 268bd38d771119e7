"""Compile errors: user-fixable, so the CLI prints one line and exits with code 2."""

from __future__ import annotations

from pathlib import Path

from sapiens2.errors import UserError


class CompileError(UserError):
    """An option combination or model that cannot be compiled; the message says what to change."""


class FidelityGateError(CompileError):
    """The compiled artifact disagrees with the PyTorch reference beyond the precision's threshold.

    No bundle is written; the report is kept at ``report_path`` so the numbers can be inspected.
    """

    def __init__(self, message: str, report_path: Path) -> None:
        super().__init__(f"{message}; no bundle written, report kept at {report_path}")
        self.report_path = report_path
