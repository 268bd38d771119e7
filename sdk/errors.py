"""The SDK's one user-facing error type: anything the user can fix (bad path, wrong arch, corrupt file).

The CLI turns it into a one-line message and exit code 2 instead of a traceback; library callers
can catch it to tell user mistakes from bugs.
"""


class UserError(Exception):
    """A mistake the user can fix; the message says what was wrong and what to do."""

    exit_code = 2
