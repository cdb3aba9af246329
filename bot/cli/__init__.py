"""The `nudgebot` command: one sub-command per module in this package, each adding itself to the parser."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from bot import logsetup
from bot.errors import NudgebotError

# Each module exposes register(subparsers); the handler it sets as `func` returns the exit code.
_COMMAND_MODULES = ("scan", "explain", "rules", "policy", "db", "incidents", "community", "demo", "audit", "report",
                    "discord", "slack")

# The README's "Exit codes" table: argparse's own convention, which every command keeps.
EXIT_OK = 0  # done; a check found nothing wrong
EXIT_FAILURE = 1  # the command failed, or a check found problems (each named on stderr or in the table)
EXIT_USAGE = 2  # the command line was wrong (argparse exits 2 itself for an unknown option or a bad value)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the `nudgebot` parser from the command modules that are present (just `only`'s, when given:
    `nudgebot scan` then imports nothing the other commands need, such as the store or the platforms)."""
    parser = argparse.ArgumentParser(prog="nudgebot", description="Policy-driven moderation for student-group chats.")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging (-vv for DEBUG)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (only,) if only else _COMMAND_MODULES:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.cli.{name}":
                continue
            raise
        module.register(subparsers)
    return parser


def print_help_for_usage(parser: argparse.ArgumentParser) -> int:
    """A command group run without its action (`nudgebot db`): its help on stderr, and the usage exit code."""
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nudgebot` console script: the exit code (see EXIT_*); argparse exits 2 on its own."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command_named(arguments))
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exc:  # --help (0) or a usage error (2): a code to return, in-process callers included
        return int(exc.code or 0) if isinstance(exc.code, int) else EXIT_USAGE
    # The bot commands raise this to NUDGEBOT_LOG_LEVEL once their settings are read (`logsetup.level_for`).
    logsetup.configure(logging.WARNING - 10 * min(args.verbose, 2))
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
