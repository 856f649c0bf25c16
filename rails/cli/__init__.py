"""The `dialog-rails` command. Each sub-command lives in its own module of this package and
exposes `add_parser(subparsers)`; the parser it adds sets `func` to a callable taking the parsed
arguments and returning the exit code."""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("check", "chat", "serve", "actions_server")


def build_parser() -> argparse.ArgumentParser:
    from rails import __version__

    parser = argparse.ArgumentParser(
        prog="dialog-rails", description="Programmable rails around LLM conversations.")
    parser.add_argument("--version", action="version", version=f"dialog-rails {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"rails.cli.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`dialog-rails ... | head`): stop quietly. stdout now points at
        # /dev/null, so the interpreter's final flush does not fail once more.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
