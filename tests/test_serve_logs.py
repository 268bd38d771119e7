"""The server's log handlers write to the streams as they are at each record, not as they were at start."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from sapiens2.serve.logs import CurrentStreamHandler, uvicorn_log_config


def test_a_record_goes_to_the_current_stderr_even_after_the_old_one_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    handler = CurrentStreamHandler("stderr")
    record = logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, "port in use", None, None)
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    handler.emit(record)
    first.close()  # what a test runner does to the stream it captured into
    monkeypatch.setattr(sys, "stderr", second)
    handler.emit(record)
    assert second.getvalue() == "port in use\n"


def test_the_config_keeps_uvicorns_formats_and_loggers() -> None:
    config = uvicorn_log_config()
    assert config["handlers"]["default"]["()"] is CurrentStreamHandler and config["handlers"]["access"]["name"] == "stdout"
    assert set(config["loggers"]) == {"uvicorn", "uvicorn.error", "uvicorn.access"}
    assert config["formatters"]["access"]["fmt"].startswith("%(levelprefix)s")
