"""Replays the scripted week through the real moderation core on a simulated clock, rendering it to the console."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import Core, build_scanner, open_core
from bot.demo.console import ConsoleView, masked_text
from bot.demo.script import DemoScript, Member, Step
from bot.errors import InputError, NudgebotError
from bot.models import (
    Community,
    Decision,
    DeliveryResult,
    DeliveryStatus,
    IncidentQuery,
    MessageEvent,
    Outcome,
    Platform,
    Principal,
    ReviewAction,
)
from bot.report import gather_report, write_report
from bot.settings import Settings
from bot.store import Store
from bot.store.target import DatabaseTarget, is_postgresql, shown
from bot.texts import MISTAKE_LABEL

log = logging.getLogger(__name__)
DEMO_RULES_DIR = Path(__file__).resolve().parent / "rules"
REFUSED_REASON = "50007: cannot send messages to this user (direct messages closed)"


class DemoDatabaseInUse(NudgebotError):
    """The demo was pointed at a database that holds real (non-demo) incidents; it will not touch it."""


class SimulatedClock:
    """The moderator's clock: set to each scripted moment, so nudge windows and escalations follow the week."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def week_start(today: datetime) -> datetime:
    """Midnight UTC of the Thursday that starts the most recent whole week ending by `today`."""
    first = (today - timedelta(days=7)).astimezone(UTC)
    first -= timedelta(days=(first.weekday() - 3) % 7)  # back to a Thursday
    return first.replace(hour=0, minute=0, second=0, microsecond=0)


@dataclass(slots=True)
class _Posted:
    """What the replay remembers about a message: ids for edits, feedback and reviews."""

    message_id: str
    channel: str
    member: Member
    revision: int = 0
    incident_id: int | None = None


@dataclass(slots=True)
class DemoResult:
    """What the replay did, for the closing summary (and for tests reading the CLI's output)."""

    messages: int = 0
    incidents: int = 0
    nudges: int = 0
    alerts: int = 0
    welfare: int = 0
    corrected: int = 0
    held: int = 0  # incidents held for review (review tier)
    shadow: int = 0  # shadow-tier matches counted for the rule statistics
    report_path: Path | None = None
    decisions: dict[str, int] = field(default_factory=dict)


async def prepare_database(path: DatabaseTarget) -> None:
    """Start the demo from an empty database: remove a previous demo's file (on PostgreSQL, its rows), refuse one
    with real incidents."""
    server = is_postgresql(path)
    if not server and not Path(path).exists():
        return
    # A file is only looked at (read-only: an out-of-date one is an error, not migrated); a server named for the
    # demo is brought up to date, as the demo's own run would.
    store = await Store.open(path, migrate=True) if server else await Store.open(path, read_only=True)
    try:
        total = await store.count_incidents()
        demo = await store.count_incidents(IncidentQuery(platform=Platform.DEMO))
        communities = [c for c in await store.list_communities() if c.platform is not Platform.DEMO]
    finally:
        await store.close()
    if total != demo or communities:
        raise DemoDatabaseInUse(
            f"{shown(path)} holds a real community's incidents; the demo will not change it. Run it with "
            "--db demo.db (or set NUDGEBOT_DB to a new file)")
    if server:
        store = await Store.open(path)
        try:
            await store.forget_platform(Platform.DEMO)
        finally:
            await store.close()
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class DemoRunner:
    """Drives one replay: each scripted step becomes what an adapter would do with the core's answer."""

    def __init__(self, script: DemoScript, core: Core, view: ConsoleView, clock: SimulatedClock, start: datetime,
                 pace: float = 0.0) -> None:
        self.script = script
        self.core = core
        self.view = view
        self.clock = clock
        self.start = start
        self.pace = pace
        self.posted: dict[str, _Posted] = {}
        self.result = DemoResult()
        self._counter = 0

    async def setup(self) -> None:
        """The committee's `/nudgebot setup`: alert channel, under-18 channels and welfare settings."""
        community = Community(
            platform=Platform.DEMO, community_id=self.script.community_id, name=self.script.name,
            committee_role="Committee", alert_channel=self.script.alert_channel,
            under18_channels=tuple(c.key for c in self.script.channels.values() if c.under18),
            welfare_contact=self.script.welfare_contact, welfare_alerts=self.script.welfare_alerts)
        await self.core.store.save_community(community, self.start)
        await self.core.store.save_names(Platform.DEMO, self.script.community_id, "member",
                                         {m.user_id: m.name for m in self.script.members.values()}, self.start)
        await self.core.store.save_names(Platform.DEMO, self.script.community_id, "channel",
                                         {c.key: c.name for c in self.script.channels.values()}, self.start)

    async def run(self) -> DemoResult:
        """Play every step in order."""
        await self.setup()
        for step in self.script.steps:
            if step.kind == "heading":
                self.view.heading(step.text)
                continue
            self.clock.now = step.when(self.start)
            await getattr(self, f"_{step.kind}")(step)
            if self.pace:
                await asyncio.sleep(self.pace)
        return self.result

    def _principal(self, member: Member) -> Principal:
        return Principal(platform=Platform.DEMO, community_id=self.script.community_id, user_id=member.user_id,
                         display_name=member.name, is_committee=member.committee)

    def _event(self, step: Step, posted: _Posted | None = None) -> MessageEvent:
        if posted is None:
            self._counter += 1
            member = self.script.members[step.by]
            channel = self.script.channels[step.channel]
            message_id = f"m{self._counter:04d}"
            revision, is_edit = 0, False
        else:
            member, channel = posted.member, self.script.channels[posted.channel]
            message_id, revision, is_edit = posted.message_id, posted.revision + 1, True
        targets = [m.user_id for m in self.script.mentions(step.text)]
        if step.reply_to:
            targets.append(self.posted[step.reply_to].member.user_id)
        return MessageEvent(
            platform=Platform.DEMO, community_id=self.script.community_id, channel_id=channel.key,
            message_id=message_id, author_id=member.user_id, author_name=member.name, text=step.text,
            created_at=self.clock.now, revision=revision, is_edit=is_edit, targets=tuple(dict.fromkeys(targets)),
            channel_name=channel.name, permalink=f"demo://{self.script.community_id}/{channel.key}/{message_id}")

    async def _say(self, step: Step) -> None:
        event = self._event(step)
        posted = _Posted(event.message_id, event.channel_id, self.script.members[step.by])
        if step.id:
            self.posted[step.id] = posted
        outcome = await self.core.moderator.handle(event)
        posted.incident_id = outcome.incident_id
        await self._show(event, posted, outcome)

    async def _edit(self, step: Step) -> None:
        posted = self.posted[step.target]
        event = self._event(step, posted)
        posted.revision = event.revision
        outcome = await self.core.moderator.handle(event)
        if outcome.incident_id is not None and outcome.decision is not Decision.CORRECTED:
            posted.incident_id = outcome.incident_id
        await self._show(event, posted, outcome)

    async def _show(self, event: MessageEvent, posted: _Posted, outcome: Outcome) -> None:
        self.result.messages += 1
        self.result.decisions[outcome.decision.value] = self.result.decisions.get(outcome.decision.value, 0) + 1
        member, channel = posted.member, self.script.channels[posted.channel]
        note = ""
        rules = ", ".join(dict.fromkeys(m.rule_id for m in outcome.verdict.matches))
        if outcome.decision in (Decision.NUDGE, Decision.ESCALATE, Decision.RECORD):
            self.result.incidents += 1
            note = f"⚑ incident #{outcome.incident_id}: clause {', '.join(outcome.verdict.clauses)} ({rules})"
        elif outcome.decision is Decision.REVIEW:
            self.result.incidents += 1
            self.result.held += 1
            note = (f"⏸ held for review #{outcome.incident_id}: clause {', '.join(outcome.verdict.clauses)} "
                    f"({rules})")
        shown = masked_text(event.text, outcome.verdict, self.core.moderator.scanner.rule_set.rules)
        self.view.message(event.created_at, channel, member, shown, note=note, edited=event.is_edit)
        if outcome.decision is Decision.REVIEW:
            self.view.event(f"⏸ {member.name} is not nudged: the rule is one the committee reviews first. The "
                            "committee is alerted; a member confirms (and the nudge goes) or dismisses.",
                            style="yellow")
        for shadow in dict.fromkeys(m.rule_id for m in outcome.verdict.shadow):
            self.result.shadow += 1
            self.view.event(f"◌ rule on trial {shadow} matched: counted for the committee's rule statistics "
                            "(nudgebot rules stats); nothing else happens.", style="dim")
        if outcome.decision is Decision.CORRECTED:
            self.result.corrected += 1
            self.view.event(f"✓ {member.name} edited the message: incident #{outcome.incident_id} marked corrected "
                            "by the poster (5.6.6); nothing is left to nudge about.")
        if outcome.nudge is None and outcome.decision in (Decision.RECORD, Decision.ESCALATE):
            self.view.suppressed(member, outcome.incident_id)
        if outcome.welfare is not None:
            self.result.welfare += 1
            self.view.welfare(outcome.welfare, member)
        alerts = list(outcome.alerts)
        if outcome.nudge is not None:
            if member.dms_closed:
                self.view.refused(member, REFUSED_REASON)
                alerts.extend(await self.core.moderator.report_delivery(
                    outcome.nudge.incident_id, DeliveryResult(DeliveryStatus.REFUSED, REFUSED_REASON)))
            else:
                self.result.nudges += 1
                self.view.nudge(outcome.nudge, member, channel)
                await self.core.moderator.report_delivery(outcome.nudge.incident_id,
                                                          DeliveryResult(DeliveryStatus.DELIVERED))
        for alert in alerts:
            self.result.alerts += 1
            self.view.alert(alert)

    async def _mistake(self, step: Step) -> None:
        posted = self.posted[step.target]
        if posted.incident_id is None:
            raise InputError(f"demo step {step.number}: {step.target!r} made no incident to call a mistake")
        accepted = await self.core.moderator.member_feedback(posted.incident_id, posted.member.user_id, "mistake",
                                                             step.note)
        if accepted:
            self.view.event(f"↩ {posted.member.name} pressed \u201c{MISTAKE_LABEL}\u201d on incident "
                            f"#{posted.incident_id}: \u201c{step.note}\u201d (kept for the committee's review)",
                            style="cyan")

    async def _review(self, step: Step) -> None:
        posted = self.posted[step.target]
        if posted.incident_id is None:
            raise InputError(f"demo step {step.number}: {step.target!r} made no incident to review")
        member = self.script.members[step.by]
        action = ReviewAction(step.action)
        reviewed = await self.core.review_incident(self._principal(member), posted.incident_id, action, step.note)
        self.view.event(f"⚖ Committee: {member.name} ran /incidents review {posted.incident_id} {action.value}: "
                        f"\u201c{step.note}\u201d → status {reviewed.incident.status.value}", style="magenta")
        if reviewed.nudge is not None:  # it was held for review: the nudge goes now
            self.result.nudges += 1
            self.view.event(f"✉ the nudge held for review goes to {posted.member.name} now", style="magenta")
            self.view.nudge(reviewed.nudge, posted.member, self.script.channels[posted.channel])
            await self.core.moderator.report_delivery(reviewed.nudge.incident_id,
                                                      DeliveryResult(DeliveryStatus.DELIVERED))
        for alert in reviewed.alerts:
            self.result.alerts += 1
            self.view.alert(alert)

    async def finish(self, report_path: Path) -> DemoResult:
        """The committee's view at the end of the week, and the HTML report."""
        chair = next(m for m in self.script.members.values() if m.committee)
        principal = self._principal(chair)
        incidents = await self.core.review.list(principal, IncidentQuery(limit=200))
        self.view.incident_table(sorted(incidents, key=lambda i: i.id), self.script.channels)
        self.view.escalation_table(await self.core.store.list_escalations(Platform.DEMO, self.script.community_id))
        # The simulated clock dates the messages; the report says when it was really made.
        data = await gather_report(self.core.store, now=datetime.now(UTC), platform=Platform.DEMO,
                                   community_id=self.script.community_id)
        self.result.report_path = write_report(data, report_path)
        return self.result


async def run_demo(script: DemoScript, settings: Settings, view: ConsoleView, report_path: Path, *,
                   now: datetime | None = None, pace: float = 0.0) -> DemoResult:
    """Replay the week into `settings.db_path` (emptied first if it holds only an earlier demo)."""
    await prepare_database(settings.db_path)
    start = week_start(now or datetime.now(UTC))
    clock = SimulatedClock(start)
    view.title(script.name, start, settings.db_path)
    demo_settings = replace(settings, keep_full_content=False,
                            rules_dirs=(*settings.rules_dirs, DEMO_RULES_DIR))  # the review and shadow tiers, shown
    scanner = await asyncio.to_thread(build_scanner, demo_settings)
    core = await open_core(demo_settings, clock=clock, scanner=scanner)
    try:
        if core.review is None:
            raise NudgebotError("the committee review module is missing from this installation")
        runner = DemoRunner(script, core, view, clock, start, pace)
        await runner.run()
        return await runner.finish(report_path)
    finally:
        await core.close()
