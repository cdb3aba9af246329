"""Spots cyberbullying (4.3: deliberate, repeated, hostile): one author's hostile incidents toward one target."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.models import AlertKind, CommitteeAlert, Incident, IncidentStatus, Severity

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Clauses whose breaches are hostile toward a person: discrimination/bullying/harassment and insults.
HOSTILE_CLAUSES = frozenset({"5.5.1", "5.5.3"})
# Dismissed incidents never count; one held for review is uncertain and counts once the committee confirms it.
_NOT_COUNTED = frozenset({IncidentStatus.DISMISSED, IncidentStatus.REVIEW})


def utc_now() -> datetime:
    """The real clock; tests pass a simulated one instead."""
    return datetime.now(UTC)


def is_hostile(clauses: tuple[str, ...] | list[str]) -> bool:
    """True when any of the clauses is one that counts toward cyberbullying."""
    return any(c in HOSTILE_CLAUSES for c in clauses)


class EscalationTracker:
    """Counts hostile incidents per (author, target) in a sliding window and opens an escalation at the threshold.

    The window ends at the newest incident's own time, so a chat export audited weeks later escalates the same
    way the live bot would have. The store holds the state, so a restart loses no count.
    """

    def __init__(self, store: Store, threshold: int = 3, window: timedelta = timedelta(days=7),
                 clock: Clock = utc_now) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.store = store
        self.threshold = threshold
        self.window = window
        self.clock = clock

    @classmethod
    def from_settings(cls, store: Store, settings: Settings, clock: Clock = utc_now) -> EscalationTracker:
        """A tracker with the threshold and window from NUDGEBOT_ESCALATION_THRESHOLD / _WINDOW_DAYS."""
        return cls(store, settings.escalation_threshold, timedelta(days=settings.escalation_window_days), clock)

    async def observe(self, incident: Incident) -> list[CommitteeAlert]:
        """Take a newly recorded incident into account; return an alert for each escalation it opened."""
        if not is_hostile(incident.clauses) or incident.status in _NOT_COUNTED:
            return []
        alerts = []
        for target in dict.fromkeys(incident.targets):
            if not target or target == incident.author_id:
                continue
            alert = await self._observe_pair(incident, target)
            if alert is not None:
                alerts.append(alert)
        return alerts

    async def _observe_pair(self, incident: Incident, target: str) -> CommitteeAlert | None:
        since = incident.created_at - self.window
        found = await self.store.hostile_incidents(incident.platform, incident.community_id, incident.author_id,
                                                   target, since)
        hostile = [i for i in found if is_hostile(i.clauses) and i.status not in _NOT_COUNTED
                   and i.created_at <= incident.created_at]
        if incident.id not in {i.id for i in hostile}:
            hostile.append(incident)
        if len(hostile) < self.threshold:
            return None
        ids = tuple(sorted({i.id for i in hostile}))
        escalation, created = await self.store.open_escalation(
            incident.platform, incident.community_id, incident.author_id, target, ids, self.clock())
        log.info("escalation %s", "opened" if created else "extended",
                 extra={"escalation_id": escalation.id, "incident_id": incident.id, "count": len(ids)})
        if not created:
            return None  # already in front of the committee; the new incident is linked to it
        total = await self.store.author_incident_count(incident.platform, incident.community_id, incident.author_id)
        days = self.window.days or round(self.window.total_seconds() / 86400, 2)
        summary = (f"{incident.author_name or incident.author_id} has posted {len(ids)} hostile messages toward the "
                   f"same member in {days} days (clause 4.3: deliberate, repeated and hostile). "
                   f"{_repeat_note(total)}")
        severity = max((i.severity for i in hostile), key=lambda s: s.rank, default=Severity.MEDIUM)
        return CommitteeAlert(kind=AlertKind.ESCALATION, platform=incident.platform,
                              community_id=incident.community_id, summary=summary, incident_ids=ids,
                              escalation_id=escalation.id, severity=severity, channel_id=incident.channel_id,
                              author_id=incident.author_id, target_id=target, permalink=incident.permalink)


def _repeat_note(total: int) -> str:
    """The repeat-offender count, in words."""
    return f"Incidents recorded for this member in all: {total}."
