"""`nudgebot rules check [DIR]`: load and validate rule packs, run their examples, summarise per clause.

`nudgebot rules stats`: what each rule did, from the database (read-only): nudges, held for review, shadow volume.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.cli._shared import extra_rule_dirs
from bot.detection.rulecheck import check_examples, summary_by_clause
from bot.detection.scanner import Scanner
from bot.models import Platform, clause_sort_key
from bot.settings import load_settings
from bot.store import read_rule_stats
from bot.store.target import DB_HELP, DatabaseTarget, database_target


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `rules` to the command line."""
    parser = subparsers.add_parser("rules", help="work with rule packs")
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION")
    check = actions.add_parser("check", help="validate packs and run every rule's examples")
    check.add_argument("dirs", nargs="*", type=Path, metavar="DIR",
                       help="a committee's pack directory to check along with the built-in packs")
    check.set_defaults(func=run_check)
    stats = actions.add_parser("stats", help="per rule: nudges, held for review, shadow volume (reads the database)")
    stats.add_argument("--db", type=database_target, help=DB_HELP)
    stats.add_argument("--platform", choices=[p.value for p in Platform], default=None, help="only this platform")
    stats.add_argument("--community", default=None, metavar="ID", help="only this guild or workspace id")
    stats.add_argument("--since", type=_when, default=None, help="from (YYYY-MM-DD, ISO time, or 30d/12h/4w ago)")
    stats.add_argument("--until", type=_when, default=None, help="before (same forms)")
    stats.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    stats.set_defaults(func=run_stats)
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
    console.print(f"{len(packs)} pack(s), {len(checked)} rule(s), {examples} example(s) run.")
    for failure in failures:
        expected = "should match" if failure.expected_match else "should not match"
        console.print(f"[red]FAIL[/] {failure.source}: rule {failure.rule_id!r} {expected}: "
                      f"{failure.example!r} ({failure.detail})")
    if failures:
        console.print(f"[red]{len(failures)} example(s) failed.[/]")
        return 2
    console.print("[green]All examples pass.[/]")
    return 0


def _when(value: str) -> object:
    from bot.cli.incidents import when  # the same date forms as `nudgebot incidents`

    return when(value)


def run_stats(args: argparse.Namespace) -> int:
    """Print each rule's nudges, held-for-review incidents and shadow volume, with masked shadow samples."""
    path: DatabaseTarget = args.db or load_settings().db_path
    rows = read_rule_stats(path, Platform(args.platform) if args.platform else None, args.community,
                           args.since, args.until)
    if args.json:
        sys.stdout.write(json.dumps({"rules": [r.to_dict() for r in rows]}, ensure_ascii=False, indent=2) + "\n")
        return 0
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160  # piped into a file or pager: do not squeeze the table to 80 columns
    table = Table("rule", "nudges", "held for review", "confirmed", "dismissed", "shadow", "shadow sample (masked)",
                  title="Rule statistics")
    for r in rows:
        table.add_row(Text(r.rule_id), str(r.nudges), str(r.held_for_review), str(r.confirmed), str(r.dismissed),
                      str(r.shadow), Text(r.samples[0] if r.samples else "-"))
    console.print(table if rows else "No rule has fired yet in this period.")
    return 0
