"""The `nudgebot` command: one sub-command per module in this package, each adding itself to the parser."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from bot.errors import NudgebotError

# Each module exposes register(subparsers); the handler it sets as `func` returns the exit code.
_COMMAND_MODULES = ("scan", "explain", "rules", "policy", "db", "incidents", "demo", "audit", "report",
                    "discord", "slack")

EXIT_OK = 0
EXIT_USAGE = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on usage errors; nudgebot keeps 2 for bad input and uses 1 for usage."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the `nudgebot` parser from the command modules that are present (just `only`'s, when given:
    `nudgebot scan` then imports nothing the other commands need, such as the store or the platforms)."""
    parser = _Parser(prog="nudgebot", description="Policy-driven moderation for student-group chats.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for DEBUG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in (only,) if only else _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.cli.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nudgebot` console script."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_named(arguments))
    args = parser.parse_args(arguments)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args) or EXIT_OK)
    except NudgebotError as exc:
        print(f"nudgebot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _command_named(arguments: Sequence[str]) -> str | None:
    """The command the arguments name, if it is one of ours (the first word that is not an option)."""
    first = next((a for a in arguments if not a.startswith("-")), None)
    return first if first in _COMMAND_MODULES else None


if __name__ == "__main__":
    sys.exit(main())
