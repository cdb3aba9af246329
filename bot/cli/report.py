"""`nudgebot report`: the committee's incidents as one self-contained HTML page (charts, escalations, open queue)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from bot.cli.dates import add_range_options, check_range
from bot.errors import InputError
from bot.models import Platform
from bot.report import ReportData, gather_report, write_report
from bot.settings import load_settings
from bot.store import Store
from bot.store.target import DB_HELP, DatabaseTarget, database_target, is_postgresql


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `report` to the command line."""
    parser = subparsers.add_parser(
        "report", help="write the committee's HTML report (charts per clause and week, rules, delivery, queue)",
        description="Writes one self-contained HTML file (no scripts, nothing fetched from the network) with "
                    "incidents per clause per week, the top rules and how often each was dismissed, nudge "
                    "delivery, escalations and the open incidents (masked excerpts only). For the committee.")
    parser.add_argument("--out", type=Path, default=Path("nudgebot-report.html"),
                        help="the HTML file to write (default: nudgebot-report.html)")
    parser.add_argument("--db", type=database_target, help=DB_HELP)
    add_range_options(parser)
    parser.add_argument("--platform", choices=[p.value for p in Platform], help="only this platform")
    parser.add_argument("--community", metavar="ID", help="only this Discord guild or Slack workspace id")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Gather the figures and write the page."""
    check_range(args.since, args.until)  # a usage error comes first
    path = args.db or load_settings().db_path
    if not is_postgresql(path) and not Path(path).is_file():
        raise InputError(f"no incident database at {path}: run the bot or `nudgebot demo` first, or pass --db")
    written, data = asyncio.run(_write(args, path))
    console = Console(highlight=False)
    console.print(f"Report for [bold]{data.title}[/]: {data.total_incidents} incidents, {data.open_total} open, "
                  f"{len(data.escalations)} escalations.")
    console.print(f"Written to [bold]{written}[/] (one file, no network needed; for the committee only).")
    return 0


async def _write(args: argparse.Namespace, path: DatabaseTarget) -> tuple[Path, ReportData]:
    # The report only reads: an out-of-date database is an error ("run nudgebot db upgrade"), never migrated here.
    store = await Store.open(path, read_only=True)
    try:
        data = await gather_report(store, now=datetime.now(UTC),
                                   platform=Platform(args.platform) if args.platform else None,
                                   community_id=args.community, since=args.since, until=args.until)
    finally:
        await store.close()
    return write_report(data, args.out), data
