"""The compile / quantize flags, built from the one declaration of each option (``CompileOptions``'s fields).

A new compile option is a field with a ``Flag``; it appears on every command its flag names, with
its help, and ``options_from_flags`` hands its value back to ``CompileOptions``.
"""

from __future__ import annotations

import argparse
from dataclasses import Field, fields
from typing import Any

from ..compile.options import CompileOptions, Flag


def _declared(command: str) -> list[tuple[Field, Flag]]:
    return [(item, item.metadata["flag"]) for item in fields(CompileOptions) if item.metadata["flag"] and command in item.metadata["flag"].commands]


def _flag_name(item: Field, flag: Flag) -> str:
    return flag.name or "--" + item.name.replace("_", "-")


def add_option_flags(parser: argparse.ArgumentParser, command: str) -> None:
    """Add the flags of every option declared for ``command`` (grouped as their declarations say)."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for item, flag in _declared(command):
        keywords = dict(flag.argparse)
        if callable(keywords.get("choices")):
            keywords["choices"] = keywords["choices"]()
        if item.type in ("bool", bool):
            keywords.setdefault("action", "store_true")
        elif keywords.get("action") == "append":
            keywords.setdefault("default", [])
        else:
            keywords.setdefault("default", item.default)
            if "choices" not in keywords and "type" not in keywords and item.default is not None:
                keywords["type"] = type(item.default)
            elif "choices" not in keywords and "type" not in keywords:
                keywords["type"] = float if "float" in str(item.type) else str
        target = parser
        if flag.group is not None:
            target = groups.setdefault(flag.group, parser.add_argument_group(flag.group))
        target.add_argument(_flag_name(item, flag), dest=item.name, help=flag.help, **keywords)


def options_from_flags(args: argparse.Namespace, command: str) -> dict[str, Any]:
    """The ``CompileOptions`` fields the flags of ``command`` set (lists become tuples)."""
    values = {item.name: getattr(args, item.name) for item, _ in _declared(command)}
    return {name: tuple(value) if isinstance(value, list) else value for name, value in values.items()}
