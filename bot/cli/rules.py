"""`nudgebot rules check [DIR]`: load and validate rule packs, run their examples, summarise per clause."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.cli._shared import extra_rule_dirs
from bot.detection.rulecheck import check_examples, summary_by_clause
from bot.detection.scanner import Scanner
from bot.models import clause_sort_key
from bot.texts import plural


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `rules` to the command line."""
    parser = subparsers.add_parser("rules", help="work with rule packs")
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION")
    check = actions.add_parser("check", help="validate packs and run every rule's examples")
    check.add_argument("dirs", nargs="*", type=Path, metavar="DIR",
                       help="a committee's pack directory to check along with the built-in packs")
    check.set_defaults(func=run_check)
    parser.set_defaults(func=lambda args: (parser.print_help(), 1)[1])


def run_check(args: argparse.Namespace) -> int:
    """Load the packs, run the examples, print a per-clause summary; exit 2 when anything is wrong."""
    extra = list(args.dirs) or extra_rule_dirs(argparse.Namespace(rules_dir=None))
    scanner = Scanner.from_directories(extra)
    extra_sources = {str(p) for d in extra for p in d.glob("*.y*ml")}
    checked = tuple(r for r in scanner.rule_set.rules if not args.dirs or r.source in extra_sources)
    failures = check_examples(scanner, checked)
    console = Console(highlight=False)
    table = Table("clause", "terms", "pattern", "validator", "rules", title="Rules per clause")
    for clause, counts in sorted(summary_by_clause(checked).items(), key=lambda kv: clause_sort_key(kv[0])):
        table.add_row(clause, str(counts["terms"]), str(counts["pattern"]), str(counts["validator"]),
                      str(sum(counts.values())))
    console.print(table)
    packs = {r.source for r in checked}
    examples = sum(len(r.examples_match) + len(r.examples_no_match) for r in checked)
    console.print(f"{plural(len(packs), 'pack')}, {plural(len(checked), 'rule')}, {plural(examples, 'example')} run.")
    for failure in failures:
        expected = "should match" if failure.expected_match else "should not match"
        console.print(f"[red]FAIL[/] {failure.source}: rule {failure.rule_id!r} {expected}: "
                      f"{failure.example!r} ({failure.detail})")
    if failures:
        console.print(f"[red]{plural(len(failures), 'example')} failed.[/]")
        return 2
    console.print("[green]All examples pass.[/]")
    return 0
