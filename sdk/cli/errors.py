"""The user-facing error type the CLI turns into one line and exit code 2 (defined in ``sapiens2.errors``)."""

from sapiens2.errors import UserError

__all__ = ["UserError"]
