"""`nudgebot explain "text"`: the folded text and why each rule fired or was withdrawn."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from bot.cli._shared import add_rules_dir_option, audience_of, build_scanner
from bot.models import ScanContext


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `explain` to the command line."""
    parser = subparsers.add_parser("explain", help="show how a message is read and why each rule fired")
    parser.add_argument("text", help="the message to explain")
    parser.add_argument("--audience", choices=["general", "under18"], default="general")
    add_rules_dir_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the explanation of one message."""
    scanner = build_scanner(args)
    explanation = scanner.explain(args.text, ScanContext(audience=audience_of(args.audience)))
    console = Console(highlight=False)
    console.print(f"[bold]normalised:[/] {explanation.normalized}", markup=True)
    if explanation.respelled != explanation.normalized:
        console.print(f"[bold]re-spelled:[/] {explanation.respelled}")
    if not explanation.findings:
        console.print("No rule fired.")
        return 0
    rules = {rule.id: rule for rule in scanner.rule_set.rules}
    table = Table()
    # A rule id is what `rules check` and the packs name: it is never cut, whatever the terminal's width.
    widest = max(len(finding.match.rule_id) for finding in explanation.findings)
    table.add_column("rule", no_wrap=True, min_width=widest)
    for name in ("clause", "span", "words", "score", "tier", "result", "why the rule exists"):
        table.add_column(name, overflow="fold")
    for finding in explanation.findings:
        match = finding.match
        tier = match.tier.value + (f" ({'; '.join(finding.evidence)})" if finding.evidence else "")
        if finding.corroborated:  # weaker evidence the match's plain words back up: the rule's tier stands
            tier += f" ({'; '.join(finding.corroborated)}, corroborated by the plain words around it)"
        table.add_row(match.rule_id, match.clause, f"{match.start}-{match.end}", args.text[match.start:match.end],
                      f"{match.confidence:.2f}", tier, finding.status, rules[match.rule_id].description)
    console.print(table)
    verdict = explanation.verdict
    outcome = ("breaches " if verdict.flagged else "held for review: ") + ", ".join(verdict.clauses)
    console.print(f"[bold]verdict:[/] {outcome if verdict.breached and verdict.clauses else 'no breach'}"
                  + (" (welfare signal)" if verdict.welfare else ""))
    return 0
