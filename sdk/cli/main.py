"""``sapiens2`` entry point: one sub-command per job, each in its own module.

Every sub-command module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable ``(args) -> int``. User mistakes raise ``UserError`` (or a subclass) and end
as a one-line message with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import NoReturn, Sequence

from sapiens2 import __version__
from sapiens2.noise import silence_import_noise

from .errors import UserError

# Sub-command modules (``<command>_cmd``) in help order.
COMMAND_MODULES = ("demo_cmd", "predict_cmd", "inspect_cmd", "compile_cmd", "quantize_cmd", "bench_cmd", "serve_cmd", "train_cmd", "label_cmd")


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line like every other user mistake (usage stays in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="sapiens2",
        description="Sapiens2 human-centric vision models: " + ", ".join(name.removesuffix("_cmd") for name in COMMAND_MODULES) + ".",
    )
    parser.add_argument("--version", action="version", version=f"sapiens2-sdk {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    silence_import_noise()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except UserError as error:
        print(f"sapiens2 {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"sapiens2 {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
