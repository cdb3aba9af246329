"""`nudgebot community show|set`: a community's settings (the same ones `/nudgebot setup` and `/nudgebot-setup`
choose), read and changed by the machine's operator through the core's committee-checked setup service.

A running bot sees a change within 30 seconds (it caches each community's settings that long).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.cli import print_help_for_usage
from bot.community_setup import COMMUNITY_SETTINGS, CommunitySetup, parse_assignments, shown_values
from bot.errors import InputError, UsageError
from bot.models import Community, Platform
from bot.review import CommitteeReview, operator_principal, utc_now
from bot.settings import load_settings
from bot.store import Store, StoreError
from bot.store.target import DB_HELP, DatabaseTarget, database_target, is_postgresql, shown

_NAMES = "; ".join(f"{s.name} ({s.description})" for s in COMMUNITY_SETTINGS)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `community` to the command line."""
    parser = subparsers.add_parser("community", help="show or change a Discord server's or Slack workspace's "
                                                     "settings (operator)")
    actions = parser.add_subparsers(dest="community_action", metavar="ACTION")
    show = actions.add_parser("show", help="a community's settings (its defaults if never set up)")
    _common(show)
    show.add_argument("--json", action="store_true", help="print JSON for scripts instead of a table")
    show.set_defaults(func=lambda args: _run(args, run_show, read_only=True))
    change = actions.add_parser("set", help="change some of a community's settings: NAME=VALUE ...",
                                epilog=f"Settings: {_NAMES}. Channels and user groups by id, several channels "
                                       "separated by commas or spaces; none clears.")
    _common(change)
    change.add_argument("assignments", nargs="+", metavar="NAME=VALUE")
    change.set_defaults(func=lambda args: _run(args, run_set))
    parser.set_defaults(func=lambda args: print_help_for_usage(parser))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=database_target, help=DB_HELP)
    parser.add_argument("--platform", choices=[p.value for p in (Platform.DISCORD, Platform.SLACK)], required=True)
    parser.add_argument("--community", required=True, metavar="ID", help="the guild or workspace id")


def _run(args: argparse.Namespace, handler: Callable[[argparse.Namespace, CommunitySetup], Awaitable[int]], *,
         read_only: bool = False) -> int:
    settings = load_settings()
    path: DatabaseTarget = args.db or settings.db_path
    if not is_postgresql(path) and not Path(path).exists():
        raise StoreError(f"no database at {shown(path)}: check --db or NUDGEBOT_DB (the bot creates it on first run)")

    async def main() -> int:
        store = await Store.open(path, migrate=False, read_only=read_only,
                                 default_retention_days=settings.retention_days,
                                 default_keep_full_content=settings.keep_full_content)
        try:
            return await handler(args, CommunitySetup(CommitteeReview(store, clock=utc_now)))
        finally:
            await store.close()

    return asyncio.run(main())


def _login() -> str:
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (containers): still the operator
        return "operator:unknown"


def _print(community: Community, as_json: bool, heading: str) -> None:
    if as_json:
        data = asdict(community)
        data["platform"], data["nudge_mode"] = community.platform.value, community.nudge_mode.value
        data["under18_channels"] = list(community.under18_channels)
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table("setting", "value", title=heading)
    committee = community.committee_role or "not set"
    for label, value in shown_values(community, committee=committee, channel=str):
        table.add_row(label, value)
    Console(highlight=False).print(table)


async def run_show(args: argparse.Namespace, setup: CommunitySetup) -> int:
    """Print one community's settings."""
    community = await setup.show(operator_principal(_login()), Platform(args.platform), args.community)
    _print(community, args.json, f"{args.platform} {args.community}")
    return 0


async def run_set(args: argparse.Namespace, setup: CommunitySetup) -> int:
    """Save the NAME=VALUE settings given (all or none) and print the result."""
    try:
        changes = parse_assignments(args.assignments)
        saved = await setup.change(operator_principal(_login()), changes, platform=Platform(args.platform),
                                   community_id=args.community)
    except InputError as exc:  # a wrong name or value on the command line: a usage error, nothing saved
        raise UsageError(f"nothing saved: {exc}") from None
    _print(saved, False, f"Saved: {args.platform} {args.community}")
    return 0
