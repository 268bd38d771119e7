"""The one error type the CLI turns into a message and a non-zero exit instead of a traceback."""


class UserError(Exception):
    """A mistake the user can fix (bad path, wrong arch, corrupt file); the message says how."""

    exit_code = 2
