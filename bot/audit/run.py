"""Runs a chat-export audit: detects the format, feeds each message to the moderator in record-only mode, counts."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from bot.audit.common import (
    BEFORE_SINCE,
    ExportFileError,
    ExportFormatError,
    ExportProblem,
    ExportReader,
    ExportTree,
    Ignored,
)
from bot.audit.discord_export import open_discord_export
from bot.audit.slack_export import MARKER as SLACK_MARKER
from bot.audit.slack_export import looks_like_slack_export, open_slack_export
from bot.errors import NudgebotError
from bot.models import AlertKind, Decision, MessageEvent, Outcome, Platform
from bot.store.target import DatabaseTarget, shown

log = logging.getLogger(__name__)

_SLACK_DAY_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}\.json$")
_NEW_INCIDENT = {Decision.RECORD, Decision.NUDGE, Decision.ESCALATE, Decision.REVIEW}
_PROGRESS_EVERY = 200


class AuditStoreError(NudgebotError):
    """The database stopped accepting incidents mid-audit: stop rather than read on and record nothing."""


class AuditModerator(Protocol):
    """The part of `bot.moderation.Moderator` the audit uses."""

    async def handle(self, event: MessageEvent, deliver: bool = True) -> Outcome:
        """Decide on one message and record any incident; with deliver=False nothing is to be sent."""
        ...


@dataclass(slots=True)
class AuditNames:
    """The display names the export gave, kept for the members and channels the new incidents refer to."""

    seen_members: dict[tuple[Platform, str], dict[str, str]] = field(default_factory=dict)
    seen_channels: dict[tuple[Platform, str], dict[str, str]] = field(default_factory=dict)
    referred: dict[tuple[Platform, str], set[str]] = field(default_factory=dict)
    channels: dict[tuple[Platform, str], set[str]] = field(default_factory=dict)

    def saw(self, event: MessageEvent) -> None:
        """Note the author's and the channel's names from one message."""
        where = (event.platform, event.community_id)
        if event.author_name:
            self.seen_members.setdefault(where, {})[event.author_id] = event.author_name
        if event.channel_name:
            self.seen_channels.setdefault(where, {})[event.channel_id] = event.channel_name

    def refer(self, event: MessageEvent) -> None:
        """The message made an incident: its author, targets and channel will be named in reports."""
        where = (event.platform, event.community_id)
        self.referred.setdefault(where, set()).update((event.author_id, *event.targets))
        self.channels.setdefault(where, set()).add(event.channel_id)

    def members(self, where: tuple[Platform, str]) -> dict[str, str]:
        """Names of the members the incidents refer to, in one community."""
        seen = self.seen_members.get(where, {})
        return {key: seen[key] for key in self.referred.get(where, set()) if key in seen}

    def channel_names(self, where: tuple[Platform, str]) -> dict[str, str]:
        """Names of the channels incidents were recorded in, in one community."""
        seen = self.seen_channels.get(where, {})
        return {key: seen[key] for key in self.channels.get(where, set()) if key in seen}


@dataclass(slots=True)
class AuditSummary:
    """What one audit run read and recorded."""

    kind: str = ""
    files_read: int = 0
    files_skipped: int = 0
    scanned: int = 0
    flagged: int = 0
    new_incidents: int = 0
    held_for_review: int = 0  # of the new incidents, those of the review tier (the committee's queue)
    already_recorded: int = 0
    corrected: int = 0
    welfare: int = 0
    escalations: int = 0
    ignored: int = 0
    direct_conversations: int = 0
    before_since: int = 0
    malformed_messages: int = 0
    errors: int = 0
    seconds: float = 0.0
    problems: list[ExportProblem] = field(default_factory=list)
    names: AuditNames = field(default_factory=lambda: AuditNames())

    @property
    def clean(self) -> bool:
        """True when every file and message of the export could be read."""
        return not self.problems and self.errors == 0

    def count(self, outcome: Outcome) -> None:
        """Add one moderated message's outcome."""
        self.scanned += 1
        if outcome.decision is Decision.DUPLICATE:
            self.already_recorded += 1
            self.flagged += 1
            return
        if outcome.verdict.flagged:
            self.flagged += 1
        if outcome.decision in _NEW_INCIDENT and outcome.incident_id is not None:
            self.new_incidents += 1
            self.held_for_review += outcome.decision is Decision.REVIEW
        elif outcome.decision is Decision.CORRECTED:
            self.corrected += 1
        elif outcome.decision is Decision.WELFARE:
            self.welfare += 1
        self.escalations += sum(1 for alert in outcome.alerts if alert.kind is AlertKind.ESCALATION)


def open_export(path: Path, *, community_id: str | None = None, since: datetime | None = None) -> ExportReader:
    """Open PATH as a Slack export (zip, or folder with channels.json) or DiscordChatExporter JSON (file or folder)."""
    if not path.exists():
        raise ExportFormatError(f"{path}: no such file or folder")
    if path.is_file() and path.suffix.lower() == ".json":
        return open_discord_export(path, community_id=community_id, since=since)
    if path.is_dir():
        tree = ExportTree(path, SLACK_MARKER)
        is_slack = looks_like_slack_export(tree)
        tree.close()
        if is_slack:
            return open_slack_export(path, community_id=community_id, since=since)
        if any(_SLACK_DAY_NAME.match(file.name) for file in path.glob("*.json")):
            raise ExportFormatError(f"{path}: this looks like one channel's folder from a Slack export; give the "
                                    "export's top folder (the one with channels.json and users.json) or its zip")
        return open_discord_export(path, community_id=community_id, since=since)
    return open_slack_export(path, community_id=community_id, since=since)


async def run_audit(reader: ExportReader, moderator: AuditModerator, *,
                    report: Callable[[ExportProblem], None] = lambda problem: None,
                    progress: Progress | None = None) -> AuditSummary:
    """Feed every message of the export to `moderator.handle(event, deliver=False)`, one file at a time.

    A file that cannot be read (further) is reported through `report` and skipped; the rest is still read.
    """
    summary = AuditSummary(kind=reader.kind)
    started = time.perf_counter()
    units = reader.units()
    for problem in reader.problems:  # metadata files and file names, found while listing the units
        _note(summary, problem, report)
    task: TaskID | None = None
    if progress is not None:
        task = progress.add_task(f"Auditing {reader.kind}", total=sum(u.size for u in units) or 1, scanned=0)
    done_bytes = 0
    for unit in units:
        skipped_before = summary.files_skipped
        try:
            for item in unit.read():
                if isinstance(item, MessageEvent):
                    await _moderate(moderator, item, summary)
                    if progress is not None and task is not None and summary.scanned % _PROGRESS_EVERY == 0:
                        progress.update(task, completed=done_bytes + min(unit.position(), unit.size),
                                        scanned=summary.scanned)
                elif isinstance(item, Ignored):
                    if item.reason == BEFORE_SINCE:
                        summary.before_since += 1
                    else:
                        summary.ignored += 1
                else:
                    _note(summary, item, report)
        except ExportFileError as exc:
            _note(summary, ExportProblem(exc.file, exc.reason), report)
        else:
            summary.files_read += unit.files - (summary.files_skipped - skipped_before)
        done_bytes += unit.size
        if progress is not None and task is not None:
            progress.update(task, completed=done_bytes, scanned=summary.scanned)
    summary.direct_conversations = len(reader.excluded)
    summary.seconds = time.perf_counter() - started
    return summary


def _note(summary: AuditSummary, problem: ExportProblem, report: Callable[[ExportProblem], None]) -> None:
    summary.problems.append(problem)
    if problem.whole_file:
        summary.files_skipped += 1
    else:
        summary.malformed_messages += 1
    report(problem)


async def _moderate(moderator: AuditModerator, event: MessageEvent, summary: AuditSummary) -> None:
    try:
        outcome = await moderator.handle(event, deliver=False)
    except NudgebotError:
        # The store is unusable (locked for good, unreadable): carrying on would only lose the rest of the audit.
        raise
    except Exception:
        summary.errors += 1
        log.exception("audit: the moderator failed on one message; carrying on",
                      extra={"platform": event.platform.value, "community_id": event.community_id,
                             "channel_id": event.channel_id, "message_id": event.message_id})
        return
    if any(alert.kind is AlertKind.STORE_DEGRADED for alert in outcome.alerts):
        raise AuditStoreError(f"the database could not record an incident (message {event.message_id} in channel "
                              f"{event.channel_id}); the audit stopped after {summary.scanned} messages. Fix the "
                              "database (NUDGEBOT_DB or --db) and run the audit again: nothing is recorded twice")
    summary.count(outcome)
    summary.names.saw(event)
    if outcome.decision in _NEW_INCIDENT and outcome.incident_id is not None:
        summary.names.refer(event)


def progress_bar(console: Console) -> Progress:
    """The bar shown while an export is read: bytes of the export read, messages scanned, time."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                    TextColumn("{task.fields[scanned]:,} messages"), TimeElapsedColumn(),
                    console=console, transient=False)


def summary_table(summary: AuditSummary, db_path: DatabaseTarget | None = None) -> Table:
    """The table printed at the end of `nudgebot audit` (a PostgreSQL URL shown without its password)."""
    rate = summary.scanned / summary.seconds if summary.seconds > 0 else 0.0
    table = Table(title=f"Audit of a {summary.kind}" if summary.kind else "Audit", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, str]] = [
        ("Files read", f"{summary.files_read:,}"),
        ("Files skipped (unreadable)", _warn(summary.files_skipped)),
        ("Messages scanned", f"{summary.scanned:,}"),
        ("Flagged", f"{summary.flagged:,}"),
        ("New incidents recorded", f"{summary.new_incidents:,}"),
        ("  of which held for review (review tier)", f"{summary.held_for_review:,}"),
        ("Already recorded (not added again)", f"{summary.already_recorded:,}"),
        ("Corrected by the poster (edited)", f"{summary.corrected:,}"),
        ("Welfare signals (no incident)", f"{summary.welfare:,}"),
        ("Escalations opened", f"{summary.escalations:,}"),
        ("Not members' posts (bots, notices, no text)", f"{summary.ignored:,}"),
        ("Direct-message conversations left out", f"{summary.direct_conversations:,}"),
        ("Before --since", f"{summary.before_since:,}"),
        ("Malformed messages skipped", _warn(summary.malformed_messages)),
        ("Errors while moderating", _warn(summary.errors)),
        ("Time", f"{summary.seconds:.1f} s ({rate:,.0f} messages/s)"),
    ]
    if db_path is not None:
        rows.append(("Database", shown(db_path)))
    for what, count in rows:
        table.add_row(what, count)
    table.caption = "Nothing was sent to anyone (nudges suppressed)."
    return table


def _warn(count: int) -> str:
    return f"[bold red]{count:,}[/]" if count else "0"
