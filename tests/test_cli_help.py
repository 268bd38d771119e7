"""``sapiens2 --help`` names exactly the commands that are registered."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from sapiens2.cli import main as cli_main


def test_help_lists_only_registered_commands() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        cli_main.main(["--help"])
    text = out.getvalue()
    registered = [name.removesuffix("_cmd") for name in cli_main.COMMAND_MODULES]
    assert re.findall(r"^    (\w+) ", text, re.MULTILINE) == registered
    described = " ".join(text.split("models: ", 1)[1].split(".", 1)[0].split())
    assert described.split(", ") == registered
