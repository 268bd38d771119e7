"""uvicorn's log set-up, with handlers that write to whatever ``sys.stderr`` / ``sys.stdout`` are now.

uvicorn's own configuration binds its handlers to the streams as they are when a server starts. A
server started inside another program (a test runner capturing output, a notebook) then keeps
writing to streams that program has since replaced or closed, and logging fails in unrelated code
later. These handlers look their stream up at each record instead; format and levels are uvicorn's.
"""

from __future__ import annotations

import copy
import logging
import sys
from typing import Any, TextIO

from uvicorn.config import LOGGING_CONFIG


class CurrentStreamHandler(logging.StreamHandler):
    """A ``StreamHandler`` on ``sys.<name>`` as it is when each record is written."""

    def __init__(self, name: str = "stderr") -> None:
        self.stream_name = name
        super().__init__()

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return getattr(sys, self.stream_name)

    @stream.setter
    def stream(self, _: TextIO) -> None:  # StreamHandler.__init__ assigns one: the property decides instead
        pass


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's ``LOGGING_CONFIG`` with its two handlers on the current stderr (server) and stdout (access)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["default"] = {"()": CurrentStreamHandler, "formatter": "default", "name": "stderr"}
    config["handlers"]["access"] = {"()": CurrentStreamHandler, "formatter": "access", "name": "stdout"}
    return config
