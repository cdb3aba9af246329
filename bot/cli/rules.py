"""`nudgebot rules check [DIR]`: load and validate rule packs, run their examples, check the clauses they cite
against the policy, summarise per clause.

`nudgebot rules stats`: what each rule did, from the database (read-only): nudges, held for review, shadow volume.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bot.cli import EXIT_FAILURE, print_help_for_usage
from bot.cli._shared import RULES_DIR_VARIABLE, extra_rule_dirs
from bot.cli.dates import add_range_options, check_range
from bot.detection.clauses import load_policy
from bot.detection.rulecheck import check_examples, summary_by_clause, unknown_clauses
from bot.detection.rules import pack_files
from bot.detection.scanner import Scanner, load_default_scanner
from bot.errors import InputError
from bot.models import Platform, clause_sort_key
from bot.settings import load_settings
from bot.store import read_rule_stats
from bot.store.target import DB_HELP, DatabaseTarget, database_target
from bot.texts import plural


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
    add_range_options(stats)
    stats.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    stats.set_defaults(func=run_stats)
    parser.set_defaults(func=lambda args: print_help_for_usage(parser))


def _pack_folders(args: argparse.Namespace) -> list[Path]:
    """The committee's folders to check, each holding at least one pack; an error names the folder and, when it
    came from the environment rather than the command line, the variable."""
    given = list(args.dirs)
    folders = given or extra_rule_dirs(argparse.Namespace(rules_dir=None))
    for folder in folders:
        where = str(folder) if given else f"{RULES_DIR_VARIABLE}: {folder}"
        if not folder.is_dir():
            raise InputError(f"{where}: {'no such folder' if not folder.exists() else 'not a folder'}; give the "
                             "folder that holds your .yaml rule packs")
        if not pack_files(folder):
            raise InputError(f"{where}: no rule packs here (a pack is a .yaml file); write one, or check the folder")
    return folders


def run_check(args: argparse.Namespace) -> int:
    """Load the packs, run the examples, check every clause cited is in the policy, print a per-clause summary;
    exit 1 when anything is wrong."""
    extra = _pack_folders(args)
    scanner = Scanner.from_directories(extra) if extra else load_default_scanner()
    extra_sources = {str(p) for d in extra for p in pack_files(d)}
    checked = tuple(r for r in scanner.rule_set.rules if not args.dirs or r.source in extra_sources)
    failures = check_examples(scanner, checked)
    no_such_clause = unknown_clauses(load_policy(), checked)
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
                      f"{failure.example!r} ({failure.detail})", soft_wrap=True)
    for rule in no_such_clause:
        console.print(f"[red]FAIL[/] {escape(rule.source)}: rule {escape(repr(rule.id))} cites clause "
                      f"{escape(repr(rule.clause))}, which is not a clause of the Social Media Policy (`nudgebot "
                      "policy` lists them)", soft_wrap=True)
    if failures or no_such_clause:
        console.print(f"[red]{plural(len(failures), 'example')} failed, {plural(len(no_such_clause), 'rule')} "
                      f"{'cites' if len(no_such_clause) == 1 else 'cite'} no clause of the policy.[/]")
        return EXIT_FAILURE
    console.print("[green]All examples pass.[/]")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    """Print each rule's nudges, held-for-review incidents and shadow volume, with masked shadow samples."""
    path: DatabaseTarget = args.db or load_settings().db_path
    check_range(args.since, args.until)
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
