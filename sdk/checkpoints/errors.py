"""The error raised for any checkpoint a user handed us that cannot be read or loaded as asked."""

from ..cli.errors import UserError


class CheckpointError(UserError):
    """A checkpoint problem the user can fix; the message says what was wrong and what to do."""
