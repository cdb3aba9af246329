"""`nudgebot audit PATH`: record the incidents in a group's existing chat history without sending anything."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from bot.audit import AuditSummary, ExportProblem, open_export, run_audit
from bot.audit.run import progress_bar, summary_table
from bot.cli import EXIT_FAILURE, EXIT_OK
from bot.cli.dates import FORMS, since_moment
from bot.settings import Settings, load_settings
from bot.store.target import DB_HELP, database_target
from bot.texts import plural

if TYPE_CHECKING:
    from bot.store import Store


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `audit` to the command line."""
    parser = subparsers.add_parser(
        "audit", help="scan a Slack export or DiscordChatExporter JSON export and record incidents (sends nothing)",
        description="Reads a Slack workspace export (the .zip, or its unzipped folder) or DiscordChatExporter "
                    "JSON exports (one file, or a folder of them), runs every member's message through the "
                    "moderator and records incidents in the database with their nudges suppressed: nobody is "
                    "messaged. A rerun adds nothing already recorded. Exit code 1 when a file or message of the "
                    "export could not be read (each is named on stderr; the rest is still read).")
    parser.add_argument("path", type=Path, help="the export: Slack .zip or folder, DiscordChatExporter .json "
                                                "or folder of them")
    parser.add_argument("--since", type=since_moment, metavar="WHEN",
                        help=f"only messages posted from then on ({FORMS}; UTC)")
    parser.add_argument("--db", type=database_target, help=DB_HELP)
    parser.add_argument("--community", metavar="ID",
                        help="file incidents under this Slack workspace id (T...) or Discord server id "
                             "(default: read from the export); use the id the live bot sees")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Audit the export and print the summary; 1 when anything had to be skipped."""
    settings = load_settings()
    if args.db is not None:
        settings = dataclasses.replace(settings, db_path=args.db)
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    summary = asyncio.run(_audit(args.path, settings, args.since, args.community, err))
    out.print(summary_table(summary, settings.db_path))
    if summary.problems:
        err.print(f"nudgebot audit: {plural(summary.files_skipped, 'file')} and "
                  f"{plural(summary.malformed_messages, 'message')} "
                  "could not be read (named above); everything else was audited.", style="yellow", soft_wrap=True)
    return EXIT_OK if summary.clean else EXIT_FAILURE


async def _audit(path: Path, settings: Settings, since: datetime | None, community: str | None,
                 err: Console) -> AuditSummary:
    # Imported here so that `nudgebot --help` and the other commands do not load the scanner and the store.
    from bot.core import open_core

    reader = open_export(path, community_id=community, since=since)
    try:
        core = await open_core(settings)
        try:
            with progress_bar(err) as progress:
                def report(problem: ExportProblem) -> None:
                    what = "skipped" if problem.whole_file else "message skipped"
                    progress.console.print(f"nudgebot audit: {escape(str(problem))} ({what})", style="red",
                                           soft_wrap=True)

                summary = await run_audit(reader, core.moderator, report=report, progress=progress)
            await _remember_names(core.store, summary, getattr(reader, "community_names", {}))
            return summary
        finally:
            await core.close()
    finally:
        reader.close()


async def _remember_names(store: Store, summary: AuditSummary, community_names: dict[str, str]) -> None:
    """Keep the export's names for what the new incidents refer to, and the community, for `nudgebot report`."""
    now = datetime.now(UTC)
    for where in summary.names.referred:
        platform, community_id = where
        await store.save_names(platform, community_id, "member", summary.names.members(where), now)
        await store.save_names(platform, community_id, "channel", summary.names.channel_names(where), now)
        if community_id not in {c.community_id for c in await store.list_communities() if c.platform is platform}:
            # Saved with default settings, so the report names it; the committee's setup later fills in the rest.
            community = dataclasses.replace(store.default_community(platform, community_id),
                                            name=community_names.get(community_id, ""))
            await store.save_community(community, now)
