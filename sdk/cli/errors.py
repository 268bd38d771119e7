"""Re-export of the user-facing error type the CLI turns into a message and exit code 2."""

from sapiens2.errors import UserError

__all__ = ["UserError"]
