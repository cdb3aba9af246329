"""`nudgebot report`: the committee's incidents as one self-contained HTML page (charts, escalations, open queue)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

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
    parser.add_argument("--since", type=parse_moment, metavar="DATE",
                        help="only incidents from this date (YYYY-MM-DD, or an ISO time; UTC)")
    parser.add_argument("--until", type=lambda v: parse_moment(v, end_of_day=True), metavar="DATE",
                        help="only incidents up to this date, inclusive (YYYY-MM-DD, or an ISO time; UTC)")
    parser.add_argument("--platform", choices=[p.value for p in Platform], help="only this platform")
    parser.add_argument("--community", metavar="ID", help="only this Discord guild or Slack workspace id")
    parser.set_defaults(func=run)


def parse_moment(value: str, end_of_day: bool = False) -> datetime:
    """A date ("2026-11-01") or ISO time as an aware UTC datetime; a bare date as --until covers the whole day."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-11-01 or a time like "
                                         "2026-11-01T18:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(text) == 10:
        moment += timedelta(days=1)
    return moment.astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    """Gather the figures and write the page."""
    path = args.db or load_settings().db_path
    if not is_postgresql(path) and not Path(path).is_file():
        raise InputError(f"no incident database at {path}: run the bot or `nudgebot demo` first, or pass --db")
    if args.since and args.until and args.since >= args.until:
        raise InputError("--since must be before --until")
    written, data = asyncio.run(_write(args, path))
    console = Console(highlight=False)
    console.print(f"Report for [bold]{data.title}[/]: {data.total_incidents} incidents, {data.open_total} open, "
                  f"{len(data.escalations)} escalations.")
    console.print(f"Written to [bold]{written}[/] (one file, no network needed; for the committee only).")
    return 0


async def _write(args: argparse.Namespace, path: DatabaseTarget) -> tuple[Path, ReportData]:
    # The report only reads: an out-of-date database is an error ("run nudgebot db upgrade"), never migrated here.
    store = await Store.open(path, migrate=False)
    try:
        data = await gather_report(store, now=datetime.now(UTC),
                                   platform=Platform(args.platform) if args.platform else None,
                                   community_id=args.community, since=args.since, until=args.until)
    finally:
        await store.close()
    return write_report(data, args.out), data
