"""`nudgebot demo`: replay the bundled week through the moderator, with no tokens and no configuration."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from bot.demo.console import ConsoleView
from bot.demo.runner import run_demo
from bot.demo.script import load_script
from bot.settings import Settings, load_settings
from bot.store.target import DatabaseTarget, database_target, is_postgresql, shown
from bot.texts import noun

DEFAULT_REPORT = Path("nudgebot-report.html")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `demo` to the command line."""
    parser = subparsers.add_parser(
        "demo", help="replay a sample week of a society's chat through nudgebot (no accounts or tokens needed)",
        description="Replays a bundled week of a (fictional) student society's chat through the same moderator "
                    "the Discord and Slack bots use, shows each private nudge and committee alert, writes the "
                    "incident database and an HTML report for the committee.")
    parser.add_argument("--db", type=database_target, help="database file (default: NUDGEBOT_DB, else nudgebot.db); a "
                                                "previous demo's database is replaced, a real one is refused")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT,
                        help=f"where to write the HTML report (default: {DEFAULT_REPORT})")
    parser.add_argument("--script", type=Path, help=argparse.SUPPRESS)  # another week, for rule-pack authors
    parser.add_argument("--pace", type=float, default=0.0, metavar="SECONDS",
                        help="pause between messages, to watch it like a chat (default: 0, as fast as it goes)")
    parser.add_argument("--fast", action="store_true", help="no pauses (the default; overrides --pace)")
    parser.add_argument("--nudge-svg", type=Path, help=argparse.SUPPRESS)  # docs/nudge.svg
    parser.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> Settings:
    # Only the database path and rule settings matter: the demo never connects anywhere.
    settings = load_settings()
    if args.db is not None:
        settings = replace(settings, db_path=args.db)
    return settings


def paste_command() -> str:
    """How to run nudgebot from this shell: `nudgebot` when it is on PATH, else the script beside this Python
    (`.venv/bin/nudgebot` after the quick start, whose virtual environment is not activated)."""
    beside = Path(sys.executable).parent / "nudgebot"
    on_path = shutil.which("nudgebot")
    if on_path is not None and (not beside.exists() or Path(on_path).resolve() == beside.resolve()):
        return "nudgebot"
    if not beside.exists():
        return f"{Path(sys.executable).name} -m bot"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)


def run(args: argparse.Namespace) -> int:
    """Replay the week and print where the database and report are."""
    script = load_script(args.script)
    settings = _settings(args)
    names = {m.user_id: m.name for m in script.members.values()}
    view = ConsoleView(Console(highlight=False), script.alert_channel, names, nudge_svg=args.nudge_svg)
    pace = 0.0 if args.fast else max(0.0, args.pace)
    result = asyncio.run(run_demo(script, settings, view, args.report, pace=pace))
    view.summary([
        ", ".join(f"[bold]{count}[/] {words}" for count, words in (
            (result.messages, noun(result.messages, "message")),
            (result.incidents, noun(result.incidents, "incident")),
            (result.nudges, noun(result.nudges, "nudge") + " delivered"),
            (result.alerts, noun(result.alerts, "committee alert")),
            (result.welfare, noun(result.welfare, "welfare note")),
            (result.corrected, "corrected by the poster"),
            (result.held, "held for review"),
            (result.shadow, noun(result.shadow, "rule-on-trial match", "rule-on-trial matches") + " counted"))) + ".",
        f"Incident database: [bold]{_where(settings.db_path)}[/] "
        f"(try: {paste_command()} incidents list --db {shown(settings.db_path)})",
        f"Committee report:  [bold]{result.report_path}[/] (open it in a browser)",
    ])
    return 0


def _where(target: DatabaseTarget) -> str:
    """The database as the demo shows it: a file's absolute path, a server's URL without its password."""
    return shown(target) if is_postgresql(target) else os.path.abspath(target)
