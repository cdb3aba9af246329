"""The platform-neutral moderator: one message in, a decision out, the incident committed before anything is sent.

The decision is here; what is held while the database fails (`held`), the outbox (`deliveries`) and members'
reports and feedback (`members`) are the moderator's other parts, each in its own module.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta

from bot.escalation import is_hostile
from bot.models import (
    AlertKind,
    CommitteeAlert,
    Community,
    Decision,
    DeliveryStatus,
    Incident,
    IncidentStatus,
    Match,
    MessageEvent,
    NewIncident,
    NudgeMode,
    Outcome,
    ScanContext,
    Severity,
    Tier,
    Verdict,
    WelfareNote,
)
from bot.moderation.base import audience_of, aware, ids_of, in_alerts_channel
from bot.moderation.deliveries import DeliveryRecords
from bot.moderation.members import FeedbackKind, MemberInput
from bot.nudges import SAFEGUARDING_CATEGORY, SAFEGUARDING_GUIDANCE, build_nudge, masked_excerpt, primary_match
from bot.store import HELD_REASON, STORE_FAILURES
from bot.texts import WELFARE_POINTER_SENT
from bot.tiers import held_alert, shadow_records

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "nudgebot"

__all__ = ["FeedbackKind", "Moderator"]


class Moderator(DeliveryRecords, MemberInput):
    """Decides what happens to each message and keeps the outbox of nudges not yet delivered.

    Build one per process and share it; every entry point (Discord, Slack, demo, audit) calls `handle`.
    """

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

    async def _name_targets(self, event: MessageEvent, targets: tuple[str, ...], now: datetime) -> None:
        """Keep the names the platform gave for the members a recorded message is aimed at (as the audit keeps
        them), so an escalation's report names its target, not an id; only for incidents, not every mention."""
        names = {member_id: name for member_id, name in event.target_names if member_id in targets}
        if names:
            await self._quietly(self.store.save_names(event.platform, event.community_id, "member", names, now))

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
            log.exception("could not handle a message", extra=ids_of(event))
            return Outcome(Decision.IGNORE)

    async def _handle(self, event: MessageEvent, deliver: bool) -> Outcome:
        community = await self._community(event.platform, event.community_id)
        if community.nudge_mode is NudgeMode.OFF or in_alerts_channel(event, community):
            return Outcome(Decision.IGNORE)
        audience = audience_of(event, community)
        verdict = self.scanner.scan(event.text, ScanContext(audience=audience))
        if log.isEnabledFor(logging.DEBUG):  # per message: build the record's ids only when it is written
            log.debug("scanned", extra={**ids_of(event), "text": event.text,
                                        "rules": [m.rule_id for m in verdict.matches]})

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

    async def _correct_if_clean(self, event: MessageEvent, verdict: Verdict) -> Outcome | None:
        try:
            previous = await self.store.latest_incident_for_message(event.platform, event.community_id,
                                                                    event.message_id)
        except STORE_FAILURES:
            log.warning("earlier revision unreadable; the edit is judged on its own", extra=ids_of(event))
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
        log.info("incident corrected by poster", extra={**ids_of(event), "incident_id": previous.id})
        return Outcome(Decision.CORRECTED, incident_id=previous.id, verdict=verdict)

    def _welfare(self, event: MessageEvent, community: Community, verdict: Verdict, deliver: bool) -> Outcome:
        log.info("welfare signal", extra=ids_of(event))
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
                         f"{WELFARE_POINTER_SENT}; no incident was recorded against them.{contact}"),
                channel_id=event.channel_id, author_id=event.author_id, permalink=event.permalink),)
        return Outcome(Decision.WELFARE, welfare=note, alerts=alerts, verdict=verdict)

    async def _breach(self, event: MessageEvent, community: Community, verdict: Verdict, deliver: bool) -> Outcome:
        matches = verdict.matches
        focus = primary_match(matches)
        assert focus is not None  # matches is not empty
        clauses = (focus.clause, *(c for c in verdict.clauses if c != focus.clause))
        # The focus rule first, as its clause is: the outbox rebuilds the nudge from the first rule it knows.
        rules = tuple(dict.fromkeys((focus.rule_id, *(m.rule_id for m in matches))))
        severity = verdict.severity or Severity.MEDIUM
        created_at = aware(event.created_at)
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
            except STORE_FAILURES:
                # Cannot check the rate window: nudge rather than lose the incident (recording will tell).
                log.warning("nudge window unreadable", extra=ids_of(event))
                delivery, reason = DeliveryStatus.PENDING, ""
            if held and delivery is DeliveryStatus.PENDING:
                delivery, reason = DeliveryStatus.SUPPRESSED, HELD_REASON  # owed only once the committee confirms
            new = replace(new, delivery_status=delivery, delivery_reason=reason if held else "")
            try:
                incident_id, created = await self.store.record_incident(new)
            except STORE_FAILURES as exc:
                return self._degraded(new, exc, verdict)
        if not created:
            return Outcome(Decision.DUPLICATE, incident_id=incident_id, verdict=verdict)
        log.info("incident recorded", extra={**ids_of(event), "incident_id": incident_id, "clause": clauses[0],
                                              "rules": list(rules), "delivery": delivery.value})
        if reason:
            await self._quietly(self.store.add_event(incident_id, SYSTEM_ACTOR,
                                                     "held for review" if held else "nudge not sent", reason))
        await self._name_channel(event, created_at)
        await self._name_targets(event, targets, created_at)
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
