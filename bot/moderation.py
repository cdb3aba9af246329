"""The platform-neutral moderator: one message in, a decision out, the incident committed before anything is sent."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
import weakref
from collections import deque
from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from bot.closed_dms import ClosedDms
from bot.detection.clauses import PolicyBook
from bot.detection.scanner import Scanner
from bot.escalation import Clock, EscalationTracker, is_hostile, utc_now
from bot.models import (
    AlertKind,
    Audience,
    CommitteeAlert,
    Community,
    Decision,
    DeliveryResult,
    DeliveryStatus,
    Incident,
    IncidentStatus,
    Match,
    MessageEvent,
    NewIncident,
    Nudge,
    NudgeMode,
    Outcome,
    Platform,
    ScanContext,
    Severity,
    Tier,
    Verdict,
    WelfareNote,
)
from bot.nudges import SAFEGUARDING_CATEGORY, SAFEGUARDING_GUIDANCE, build_nudge, masked_excerpt, primary_match
from bot.settings import Settings
from bot.store import HELD_REASON, STORE_FAILURES, Store
from bot.texts import plural
from bot.tiers import held_alert, shadow_records

log = logging.getLogger(__name__)
T = TypeVar("T")

FeedbackKind = Literal["fixed", "mistake"]
PENDING_QUEUE_LIMIT = 1_000  # incidents held in memory while the database cannot be written
FLUSH_RETRY_SECONDS = 30.0  # while the database fails, handle() retries the queue at most this often
FLUSH_BATCH = 500  # held incidents recorded per transaction once the database is back
DEGRADED_ALERT_SECONDS = 900.0  # and the committee hears about it once per outage, then every 15 minutes
SYSTEM_ACTOR = "nudgebot"
REPORT_ACTOR = "a member"  # who reported a message, as the audit trail records it: never the reporter's id
# What counts as "the database is failing" (as opposed to a bug): these keep the incident for a retry.
_STORE_FAILURES = STORE_FAILURES
# Who holds a delivery claim in the database (one id per process), and how long a claim lasts if its holder dies.
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
DELIVERY_LEASE = timedelta(minutes=5)


def _aware(moment: datetime) -> datetime:
    """Platforms hand us aware datetimes; a naive one (an export) is taken to be UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _audience(event: MessageEvent, community: Community) -> Audience:
    """Under 18 when the channel, or the channel a thread hangs off, is one of the community's under-18 channels."""
    channels = community.under18_channels
    if event.channel_id in channels or (event.parent_channel_id and event.parent_channel_id in channels):
        return Audience.UNDER18
    return Audience.GENERAL


def _in_alerts_channel(event: MessageEvent, community: Community) -> bool:
    """Posted where the committee gets its alerts (or in a thread there): they discuss incidents in it, so it is
    not moderated, on any platform."""
    channel = community.alerts_channel
    return bool(channel) and channel in (event.channel_id, event.parent_channel_id)


class Moderator:
    """Decides what happens to each message and keeps the outbox of nudges not yet delivered.

    Build one per process and share it; every entry point (Discord, Slack, demo, audit) calls `handle`.
    """

    def __init__(self, store: Store, scanner: Scanner, policy: PolicyBook, settings: Settings,
                 clock: Clock = utc_now, escalation: EscalationTracker | None = None) -> None:
        self.store = store
        self.scanner = scanner
        self.policy = policy
        self.settings = settings
        self.clock = clock
        self.escalation = escalation or EscalationTracker.from_settings(store, settings, clock)
        self.closed_dms = ClosedDms(store, clock)
        self._categories = {rule.id: rule.category for rule in scanner.rule_set.rules}
        self._pending: deque[NewIncident] = deque()
        self._held_deliveries: dict[int, DeliveryResult] = {}  # delivery results the database could not take
        # Held only while a message of that author is in hand, so the map does not grow with every author seen.
        self._author_locks: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self._flush_lock = asyncio.Lock()
        self._next_flush = 0.0  # time.monotonic() before which handle() does not retry a failing database
        # Per community: when its committee may next be told (again) that the database is failing.
        self._next_degraded_alert: dict[tuple[str, str], float] = {}
        self._named_channels: set[tuple[str, str, str, str]] = set()  # channel names already saved for reports

    async def _name_channel(self, event: MessageEvent, now: datetime) -> None:
        """Keep the channel's name, as the platform gave it, so reports say "#general" rather than an id."""
        key = (event.platform.value, event.community_id, event.channel_id, event.channel_name)
        if not event.channel_name or event.channel_name == event.channel_id or key in self._named_channels:
            return
        if len(self._named_channels) > 10_000:
            self._named_channels.clear()
        self._named_channels.add(key)
        await self._quietly(self.store.save_names(event.platform, event.community_id, "channel",
                                                  {event.channel_id: event.channel_name}, now))

    # -- one message ------------------------------------------------------------------------------------

    async def handle(self, event: MessageEvent, deliver: bool = True) -> Outcome:
        """Scan one message (or edit) and decide; any incident is committed before this returns.

        `deliver=False` (the chat-export audit) records incidents with delivery SUPPRESSED and returns nothing
        to send. Never raises for one bad message: an unexpected error is logged with the message ids and the
        outcome is IGNORE.
        """
        try:
            if self.pending_count and time.monotonic() >= self._next_flush:
                await self.flush()
            return await self._handle(event, deliver)
        except Exception:
            log.exception("could not handle a message", extra=_ids(event))
            return Outcome(Decision.IGNORE)

    async def _handle(self, event: MessageEvent, deliver: bool) -> Outcome:
        community = await self._community(event.platform, event.community_id)
        if community.nudge_mode is NudgeMode.OFF or _in_alerts_channel(event, community):
            return Outcome(Decision.IGNORE)
        audience = _audience(event, community)
        verdict = self.scanner.scan(event.text, ScanContext(audience=audience))
        log.debug("scanned", extra={**_ids(event), "text": event.text, "rules": [m.rule_id for m in verdict.matches]})

        if verdict.shadow:
            # Rules on trial: counted for the committee's statistics, and nothing else follows from them.
            await self._quietly(self.store.record_shadow(shadow_records(event, verdict)))
        corrected = None
        if event.is_edit and event.revision > 0:
            corrected = await self._correct_if_clean(event, verdict)
        if verdict.welfare:
            # Welfare before sanctions: never a nudge or an incident against someone who may be struggling.
            return self._welfare(event, community, verdict, deliver)
        if corrected is not None:
            return corrected
        if not verdict.matches:
            return Outcome(Decision.IGNORE, verdict=verdict)
        return await self._breach(event, community, verdict, deliver)

    async def _community(self, platform: Platform, community_id: str) -> Community:
        try:
            return await self.store.get_community(platform, community_id)
        except _STORE_FAILURES:
            # The defaults keep moderation going; the record step will find out whether the store is really down.
            log.warning("community settings unreadable; using defaults",
                        extra={"platform": platform.value, "community_id": community_id})
            return Community(platform=platform, community_id=community_id,
                             keep_full_content=self.settings.keep_full_content,
                             retention_days=self.settings.retention_days)

    async def _correct_if_clean(self, event: MessageEvent, verdict: Verdict) -> Outcome | None:
        try:
            previous = await self.store.latest_incident_for_message(event.platform, event.community_id,
                                                                    event.message_id)
        except _STORE_FAILURES:
            log.warning("earlier revision unreadable; the edit is judged on its own", extra=_ids(event))
            return None
        if previous is None or previous.revision >= event.revision or verdict.matches:
            return None
        if previous.status is IncidentStatus.CORRECTED:
            return Outcome(Decision.IGNORE, incident_id=previous.id, verdict=verdict)
        if previous.status not in (IncidentStatus.OPEN, IncidentStatus.REVIEW):
            # Under review already: the committee decides, but should see that the poster fixed it.
            await self.store.add_event(previous.id, event.author_id, "edited by poster",
                                       f"revision {event.revision} no longer breaches")
            return Outcome(Decision.IGNORE, incident_id=previous.id, verdict=verdict)
        await self.store.set_status(previous.id, IncidentStatus.CORRECTED, event.author_id, "corrected by poster",
                                    f"5.6.6: revision {event.revision} no longer breaches")
        if previous.delivery_status is DeliveryStatus.PENDING or previous.delivery_reason == HELD_REASON:
            # Nothing left to nudge about: the outbox must not send it after a restart, nor a later confirmation.
            await self.store.set_delivery(previous.id, DeliveryStatus.NOT_NEEDED, "corrected before delivery")
        log.info("incident corrected by poster", extra={**_ids(event), "incident_id": previous.id})
        return Outcome(Decision.CORRECTED, incident_id=previous.id, verdict=verdict)

    def _welfare(self, event: MessageEvent, community: Community, verdict: Verdict, deliver: bool) -> Outcome:
        log.info("welfare signal", extra=_ids(event))
        if not deliver:
            return Outcome(Decision.WELFARE, verdict=verdict)
        note = WelfareNote(platform=event.platform, community_id=event.community_id, channel_id=event.channel_id,
                           recipient_id=event.author_id, text=self.settings.welfare_text)
        alerts: tuple[CommitteeAlert, ...] = ()
        if community.welfare_alerts:
            contact = f" Welfare contact: {community.welfare_contact}." if community.welfare_contact else ""
            alerts = (CommitteeAlert(
                kind=AlertKind.WELFARE, platform=event.platform, community_id=event.community_id,
                summary=(f"A message by {event.author_name or event.author_id} suggests they may need support. "
                         "nudgebot sent them a private pointer to the Advice Service and Samaritans; no incident "
                         f"was recorded against them.{contact}"),
                channel_id=event.channel_id, author_id=event.author_id, permalink=event.permalink),)
        return Outcome(Decision.WELFARE, welfare=note, alerts=alerts, verdict=verdict)

    async def _breach(self, event: MessageEvent, community: Community, verdict: Verdict, deliver: bool) -> Outcome:
        matches = verdict.matches
        focus = primary_match(matches)
        assert focus is not None  # matches is not empty
        clauses = (focus.clause, *(c for c in verdict.clauses if c != focus.clause))
        rules = tuple(dict.fromkeys(m.rule_id for m in matches))
        severity = verdict.severity or Severity.MEDIUM
        created_at = _aware(event.created_at)
        targets = tuple(t for t in dict.fromkeys(event.targets) if t and t != event.author_id)
        held = verdict.held_for_review
        new = NewIncident(
            platform=event.platform, community_id=event.community_id, channel_id=event.channel_id,
            message_id=event.message_id, author_id=event.author_id, clauses=clauses, rules=rules,
            severity=severity, excerpt=masked_excerpt(event.text, matches, focus, rules=self.scanner.rule_set.rules),
            created_at=created_at,
            revision=event.revision, permalink=event.permalink, author_name=event.author_name, targets=targets,
            content=event.text if community.keep_full_content else None,
            tier=Tier.REVIEW if held else Tier.NUDGE)

        key = (event.platform.value, event.community_id, event.author_id)
        lock = self._author_locks.get(key)
        if lock is None:
            lock = self._author_locks[key] = asyncio.Lock()
        async with lock:
            # One author at a time, so two quick messages cannot both pass the rate check and both nudge.
            try:
                delivery, reason = await self._delivery_for(new, community, deliver)
            except _STORE_FAILURES:
                # Cannot check the rate window: nudge rather than lose the incident (recording will tell).
                log.warning("nudge window unreadable", extra=_ids(event))
                delivery, reason = DeliveryStatus.PENDING, ""
            if held and delivery is DeliveryStatus.PENDING:
                delivery, reason = DeliveryStatus.SUPPRESSED, HELD_REASON  # owed only once the committee confirms
            new = replace(new, delivery_status=delivery, delivery_reason=reason if held else "")
            try:
                incident_id, created = await self.store.record_incident(new)
            except _STORE_FAILURES as exc:
                return self._degraded(new, exc, verdict)
        if not created:
            return Outcome(Decision.DUPLICATE, incident_id=incident_id, verdict=verdict)
        log.info("incident recorded", extra={**_ids(event), "incident_id": incident_id, "clause": clauses[0],
                                              "rules": list(rules), "delivery": delivery.value})
        if reason:
            await self._quietly(self.store.add_event(incident_id, SYSTEM_ACTOR,
                                                     "held for review" if held else "nudge not sent", reason))
        await self._name_channel(event, created_at)
        if held:
            # Uncertain: no nudge, no escalation count (4.3) until a committee member confirms it.
            return Outcome(Decision.REVIEW, incident_id=incident_id, alerts=(held_alert(incident_id, new, focus),),
                           verdict=verdict)

        alerts: list[CommitteeAlert] = []
        escalated = False
        if targets and is_hostile(clauses):
            escalation_alerts = await self._quietly(self._escalate(incident_id, new))
            if escalation_alerts:
                alerts.extend(escalation_alerts)
                escalated = True
        if severity.rank >= Severity.HIGH.rank:
            safeguarding = any(m.category == SAFEGUARDING_CATEGORY for m in matches)
            alerts.append(await self._high_severity_alert(incident_id, new, focus, safeguarding))

        nudge = None
        if delivery is DeliveryStatus.PENDING:
            nudge = build_nudge(incident_id=incident_id, platform=event.platform, community_id=event.community_id,
                                channel_id=event.channel_id, message_id=event.message_id,
                                recipient_id=event.author_id, clauses=clauses, category=focus.category,
                                excerpt=new.excerpt, policy=self.policy, permalink=event.permalink)
        decision = Decision.ESCALATE if escalated else (Decision.NUDGE if nudge else Decision.RECORD)
        return Outcome(decision, incident_id=incident_id, nudge=nudge, alerts=tuple(alerts), verdict=verdict)

    async def _delivery_for(self, new: NewIncident, community: Community,
                            deliver: bool) -> tuple[DeliveryStatus, str]:
        if not deliver:
            return DeliveryStatus.SUPPRESSED, "audit: record only"
        if community.nudge_mode is NudgeMode.RECORD:
            return DeliveryStatus.SUPPRESSED, "this community records breaches without nudging"
        hours = self.settings.nudge_window_hours
        if hours > 0:
            since = new.created_at - timedelta(hours=hours)
            if await self.store.nudged_since(new.platform, new.community_id, new.author_id, new.clauses[0], since):
                return DeliveryStatus.SUPPRESSED, f"already nudged about clause {new.clauses[0]} within {hours} h"
        return DeliveryStatus.PENDING, ""

    async def _escalate(self, incident_id: int, new: NewIncident) -> list[CommitteeAlert]:
        incident = Incident(
            id=incident_id, platform=new.platform, community_id=new.community_id, channel_id=new.channel_id,
            message_id=new.message_id, revision=new.revision, author_id=new.author_id, author_name=new.author_name,
            targets=new.targets, clauses=new.clauses, rules=new.rules, severity=new.severity, excerpt=new.excerpt,
            content=None, created_at=new.created_at, status=IncidentStatus.OPEN,
            delivery_status=new.delivery_status, delivery_reason="", permalink=new.permalink)
        return await self.escalation.observe(incident)

    async def _high_severity_alert(self, incident_id: int, new: NewIncident, focus: Match,
                                   safeguarding: bool = False) -> CommitteeAlert:
        count = await self._quietly(self.store.author_incident_count(new.platform, new.community_id, new.author_id))
        repeat = f" Incidents recorded for this member in all: {count}." if count else ""
        if safeguarding:
            repeat += f" {SAFEGUARDING_GUIDANCE}"
        return CommitteeAlert(
            kind=AlertKind.HIGH_SEVERITY, platform=new.platform, community_id=new.community_id,
            summary=(f"{new.author_name or new.author_id} posted a message that may breach clause {new.clauses[0]} "
                     f"({focus.category}): \u201c{new.excerpt}\u201d.{repeat}"),
            incident_ids=(incident_id,), severity=new.severity, channel_id=new.channel_id, author_id=new.author_id,
            permalink=new.permalink)

    # -- the store going away ---------------------------------------------------------------------------

    def _degraded(self, new: NewIncident, exc: BaseException, verdict: Verdict) -> Outcome:
        """Keep the incident in memory for a retry and tell the committee the database is failing."""
        if len(self._pending) >= PENDING_QUEUE_LIMIT:
            dropped = self._pending.popleft()
            log.error("pending queue full: oldest unrecorded incident dropped",
                      extra={"message_id": dropped.message_id, "community_id": dropped.community_id})
        self._pending.append(new)
        log.error("could not record an incident (%s); kept in memory for a retry", exc,
                  extra={"platform": new.platform.value, "community_id": new.community_id,
                         "message_id": new.message_id, "error": type(exc).__name__, "pending": len(self._pending)})
        community = (new.platform.value, new.community_id)
        if time.monotonic() < self._next_degraded_alert.get(community, 0.0):
            return Outcome(Decision.RECORD, verdict=verdict)  # the committee already knows; do not flood them
        self._next_degraded_alert[community] = time.monotonic() + DEGRADED_ALERT_SECONDS
        alert = CommitteeAlert(
            kind=AlertKind.STORE_DEGRADED, platform=new.platform, community_id=new.community_id,
            summary=(f"nudgebot could not write to its database ({type(exc).__name__}). "
                     f"{plural(len(self._pending), 'incident')} {'is' if len(self._pending) == 1 else 'are'} held in "
                     "memory and will be recorded when it recovers; nudges wait until then."),
            severity=new.severity, channel_id=new.channel_id)
        return Outcome(Decision.RECORD, alerts=(alert,), verdict=verdict)

    @property
    def pending_count(self) -> int:
        """How many incidents and delivery results are waiting in memory for the database to come back."""
        return len(self._pending) + len(self._held_deliveries)

    async def flush(self) -> int:
        """Record what was held in memory while the database was failing; return how many incidents were recorded.

        Incidents first (their nudges then reach the outbox, `pending_nudges`), then delivery results. Stops at
        the first failure; the rest stay held. `handle()` calls this itself, at most every FLUSH_RETRY_SECONDS
        while the database keeps failing.
        """
        recorded = 0
        async with self._flush_lock:
            try:
                while self._pending:
                    recorded += await self._record_held(list(self._pending)[:FLUSH_BATCH])
                for incident_id, result in list(self._held_deliveries.items()):
                    await self.store.set_delivery(incident_id, result.status, result.reason)
                    del self._held_deliveries[incident_id]
            except _STORE_FAILURES as exc:
                self._next_flush = time.monotonic() + FLUSH_RETRY_SECONDS
                log.warning("database still failing; held records stay in memory",
                            extra={"pending": self.pending_count, "error": type(exc).__name__})
            else:
                self._next_degraded_alert.clear()  # recovered: a new outage is news again
        return recorded

    async def _record_held(self, batch: list[NewIncident]) -> int:
        """Record held incidents together, so the store's group commit makes them one transaction; raise on failure.

        One commit per incident would append a WAL frame set each: after a full disk, that alone can fill it again.
        """
        results = await asyncio.gather(*(self.store.record_incident(new) for new in batch), return_exceptions=True)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            raise failure
        done = {id(new) for new in batch}
        # Not popleft: _degraded may have dropped the oldest (queue full) while this batch was being written.
        self._pending = deque(new for new in self._pending if id(new) not in done)
        recorded = 0
        for new, (incident_id, created) in zip(batch, results, strict=True):  # type: ignore[misc]
            recorded += int(created)
            log.info("held incident recorded", extra={"incident_id": incident_id, "message_id": new.message_id})
        return recorded

    async def _quietly(self, work: Awaitable[T]) -> T | None:
        """Await a follow-up step whose failure must not undo an incident that is already committed."""
        try:
            return await work
        except Exception:
            log.exception("a follow-up step failed after the incident was recorded")
            return None

    # -- after the message ------------------------------------------------------------------------------

    async def report_delivery(self, incident_id: int, result: DeliveryResult) -> tuple[CommitteeAlert, ...]:
        """Record what happened to a nudge; a refused or failed one becomes an alert for the committee.

        While the database is failing the result is held in memory (so the nudge is not sent twice) and
        recorded by `flush`.
        """
        try:
            await self.store.set_delivery(incident_id, result.status, result.reason)
        except _STORE_FAILURES as exc:
            if len(self._held_deliveries) >= PENDING_QUEUE_LIMIT:
                self._held_deliveries.pop(next(iter(self._held_deliveries)))
            self._held_deliveries[incident_id] = result
            log.error("could not record a nudge delivery (%s); held in memory", exc,
                      extra={"incident_id": incident_id, "delivery": result.status.value})
            return ()
        if result.status not in (DeliveryStatus.REFUSED, DeliveryStatus.FAILED):
            return ()
        incident = await self.store.get_incident(incident_id)
        if incident is None:
            return ()
        if result.dms_closed:
            await self.closed_dms.remember(incident)
        why = f" ({result.reason})" if result.reason else ""
        return (CommitteeAlert(
            kind=AlertKind.NUDGE_REFUSED, platform=incident.platform, community_id=incident.community_id,
            summary=(f"nudgebot could not send {incident.author_name or incident.author_id} a private note about "
                     f"clause {incident.clauses[0] if incident.clauses else '?'}{why}: their direct messages may be "
                     "closed. A committee member may want to have a word."),
            incident_ids=(incident.id,), severity=incident.severity, channel_id=incident.channel_id,
            author_id=incident.author_id, permalink=incident.permalink),)

    async def awaiting_delivery(self, incident_id: int) -> bool:
        """Whether an incident's nudge still waits to be sent; adapters ask after claiming it, just before sending.

        False when its delivery result is held in memory or the store no longer says 'pending' (sent meanwhile by
        another path), and False when the store cannot be read: the nudge then stays in the outbox and the
        periodic outbox retry sends it once the database answers again.
        """
        if incident_id in self._held_deliveries:
            return False
        try:
            status = await self.store.delivery_status(incident_id)
        except _STORE_FAILURES as exc:
            log.warning("nudge not sent: the database could not confirm it is still pending; it stays in the outbox",
                        extra={"incident_id": incident_id, "error": type(exc).__name__})
            return False
        return status is DeliveryStatus.PENDING

    async def claim_delivery(self, incident_id: int) -> bool:
        """Take the database's claim on sending an incident's nudge: True for exactly one process, and only while
        the nudge still waits to be sent (see `awaiting_delivery`). Adapters call it after their in-process claim,
        just before sending; a claim lapses after DELIVERY_LEASE if this process dies holding it.

        False when another process holds it, the nudge is settled, or the database cannot be reached (the nudge
        then stays in the outbox).
        """
        if incident_id in self._held_deliveries:
            return False
        try:
            return await self.store.claim_delivery(incident_id, PROCESS_ID, datetime.now(UTC), DELIVERY_LEASE)
        except _STORE_FAILURES as exc:
            log.warning("nudge not sent: the database could not confirm it is still pending; it stays in the outbox",
                        extra={"incident_id": incident_id, "error": type(exc).__name__})
            return False

    async def release_delivery(self, incident_id: int) -> None:
        """Give back the database claim on a nudge that was not sent after all (the platform was unreachable), so
        the next outbox pass of any process may send it."""
        try:
            await self.store.release_delivery(incident_id, PROCESS_ID)
        except _STORE_FAILURES as exc:  # the lease lapses by itself
            log.warning("could not release a delivery claim; it lapses with its lease",
                        extra={"incident_id": incident_id, "error": type(exc).__name__})

    async def pending_nudges(self, platform: Platform | None = None) -> list[Nudge]:
        """The outbox: a nudge for every incident recorded but not yet delivered, oldest first.

        Called on start (and after the database recovers). Delivered nudges are never given again; an incident
        the poster corrected or the committee dismissed meanwhile is marked as needing no nudge instead.
        """
        if self.pending_count:
            await self.flush()
        nudges = []
        for incident in await self.store.pending_deliveries(platform):
            if incident.id in self._held_deliveries:
                continue  # delivered (or refused) while the database was failing: never again
            if incident.status in (IncidentStatus.CORRECTED, IncidentStatus.DISMISSED):
                await self.store.set_delivery(incident.id, DeliveryStatus.NOT_NEEDED,
                                              f"incident {incident.status.value} before delivery")
                continue
            nudges.append(self.nudge_for(incident))
        return nudges

    def nudge_for(self, incident: Incident) -> Nudge:
        """The nudge for a recorded incident (the same words `handle` gave when it was recorded)."""
        category = next((self._categories[r] for r in incident.rules if r in self._categories), "")
        return build_nudge(incident_id=incident.id, platform=incident.platform, community_id=incident.community_id,
                           channel_id=incident.channel_id, message_id=incident.message_id,
                           recipient_id=incident.author_id, clauses=incident.clauses, category=category,
                           excerpt=incident.excerpt, policy=self.policy, permalink=incident.permalink)

    async def report_message(self, reporter_id: str, event: MessageEvent, note: str = "") -> CommitteeAlert:
        """A member's "Report to committee": an alert for the committee.

        The reporter's identity goes only into the operator's log, never into the alert or the database: the
        incident's audit trail reaches the reported member through a subject access request, so it records only
        that "a member" reported the message.
        """
        community = await self._community(event.platform, event.community_id)
        audience = _audience(event, community)
        verdict = self.scanner.scan(event.text, ScanContext(audience=audience))
        excerpt = masked_excerpt(event.text, verdict.matches, primary_match(verdict.matches),
                                 rules=self.scanner.rule_set.rules)
        incident = await self.store.latest_incident_for_message(event.platform, event.community_id,
                                                                event.message_id)
        incident_ids: tuple[int, ...] = ()
        if incident is not None:
            incident_ids = (incident.id,)
            await self.store.add_event(incident.id, REPORT_ACTOR, "reported by a member")
        log.info("member report", extra={**_ids(event), "reporter_id": reporter_id,
                                         "incident_id": incident.id if incident else None})
        found = (f" nudgebot's scan found: clause {', '.join(verdict.clauses)}." if verdict.matches
                 else " nudgebot's scan found no breach; please judge it yourselves.")
        said = f" The member's note: \u201c{note.strip()[:300]}\u201d." if note.strip() else ""
        return CommitteeAlert(
            kind=AlertKind.MEMBER_REPORT, platform=event.platform, community_id=event.community_id,
            summary=(f"A member reported a message by {event.author_name or event.author_id}: \u201c{excerpt}\u201d."
                     f"{found}{said}"),
            incident_ids=incident_ids, severity=verdict.severity, channel_id=event.channel_id,
            author_id=event.author_id, permalink=event.permalink)

    async def member_feedback(self, incident_id: int, user_id: str, kind: FeedbackKind, note: str = "") -> bool:
        """The poster says they fixed it or that it was a mistake; False when `user_id` is not the poster.

        "fixed" changes nothing by itself (the edit's rescan confirms a correction); "mistake" is kept for the
        committee's review and the false-positive statistics.
        """
        if kind not in ("fixed", "mistake"):
            raise ValueError(f"feedback kind must be 'fixed' or 'mistake', not {kind!r}")
        incident = await self.store.get_incident(incident_id)
        if incident is None or incident.author_id != user_id:
            log.info("feedback refused: not the incident's author",
                     extra={"incident_id": incident_id, "user_id": user_id})
            return False
        await self.store.add_feedback(incident_id, user_id, kind, note, self.clock())
        return True


def _ids(event: MessageEvent) -> dict[str, object]:
    """The ids that identify a message in a log line (never its text)."""
    # getattr: this also runs in the error handler, where the event itself may be what is malformed.
    return {name: str(getattr(event, name, "?")) for name in ("platform", "community_id", "channel_id", "message_id",
                                                               "revision")}

