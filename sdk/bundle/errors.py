"""Bundle errors: every one is a ``UserError`` so the CLI prints one line and exits with code 2."""

from ..errors import UserError


class BundleError(UserError):
    """A bundle is missing, malformed, fails its schema or its checksums; the message says which file."""
