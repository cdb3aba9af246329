"""`nudgebot policy [CLAUSE]` and `nudgebot policy --search WORDS`: read the Social Media Policy."""

from __future__ import annotations

import argparse

from rich.console import Console

from bot.detection.clauses import Clause, load_policy
from bot.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `policy` to the command line."""
    parser = subparsers.add_parser("policy", help="print a clause of the Social Media Policy, or search it")
    parser.add_argument("clause", nargs="?", help="clause id, e.g. 5.5.1 (omit to list every clause)")
    parser.add_argument("--search", nargs="+", metavar="WORD", help="find clauses about these words")
    parser.set_defaults(func=run)


def _print_clause(console: Console, clause: Clause) -> None:
    console.print(f"[bold]{clause.id} {clause.heading}[/]")
    console.print(clause.text)
    console.print(f"[italic]In plain words:[/] {clause.summary}")
    if clause.guidance:
        console.print(f"[italic]What to do:[/] {clause.guidance}")


def run(args: argparse.Namespace) -> int:
    """Print one clause, the search results, or the list of clauses."""
    policy = load_policy()
    console = Console(highlight=False)
    if args.search:
        found = policy.search(" ".join(args.search))
        if not found:
            console.print("No clause mentions that. Try other words, or `nudgebot policy` for the list.")
            return 0
        for clause in found:
            console.print(f"[bold]{clause.id}[/] {clause.heading}: {clause.summary}")
        return 0
    if args.clause:
        wanted = policy.get(args.clause.strip())
        if wanted is None:
            raise InputError(f"no clause {args.clause!r}; run `nudgebot policy` to list them")
        _print_clause(console, wanted)
        return 0
    for clause in policy.all():
        console.print(f"[bold]{clause.id}[/] {clause.heading}: {clause.summary}")
    return 0
