"""`nudgebot db upgrade|status`: bring the incident database up to date, or show where it stands."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from bot.cli import print_help_for_usage
from bot.settings import load_settings
from bot.store import migrate_database, migration_status
from bot.store.target import DB_HELP, DatabaseTarget, database_target, shown


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `db` to the command line."""
    parser = subparsers.add_parser("db", help="manage the incident database (NUDGEBOT_DB)")
    actions = parser.add_subparsers(dest="db_action", metavar="ACTION")
    for name, handler, text in (("upgrade", run_upgrade, "apply pending migrations"),
                                ("status", run_status, "list applied and pending migrations")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--db", type=database_target, help=DB_HELP)
        action.set_defaults(func=handler)
    parser.set_defaults(func=lambda args: print_help_for_usage(parser))


def _path(args: argparse.Namespace) -> DatabaseTarget:
    return args.db or load_settings().db_path


def run_upgrade(args: argparse.Namespace) -> int:
    """Apply every pending migration and say which."""
    path = _path(args)
    applied = migrate_database(path)
    console = Console(highlight=False)
    if not applied:
        console.print(f"{shown(path)}: up to date.")
    for migration in applied:
        console.print(f"{shown(path)}: applied {migration.name}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    """Show applied and pending migrations; exit 1 when some are pending."""
    path = _path(args)
    state = migration_status(path)
    table = Table("version", "migration", "applied at", title=f"{shown(path)} (version {state.current})")
    for version, name, applied_at in state.applied:
        table.add_row(str(version), name, applied_at)
    for migration in state.pending:
        table.add_row(str(migration.version), migration.name, "[yellow]pending[/]")
    Console(highlight=False).print(table)
    return 1 if state.pending else 0
