"""What the review and shadow tiers lead to: the committee's "held for review" alert and the shadow records.

The moderator calls these; nothing here writes or sends. A shadow record keeps only the rule, the community,
the time and a masked sample of the few words around the match: never the message, never who posted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from bot.escalation import is_hostile
from bot.models import (
    AlertKind,
    CommitteeAlert,
    DeliveryStatus,
    Incident,
    IncidentStatus,
    Match,
    MessageEvent,
    NewIncident,
    Nudge,
    ShadowRecord,
    Verdict,
)
from bot.nudges import masked_excerpt

if TYPE_CHECKING:
    from bot.moderation import Moderator
    from bot.review import ReviewOutcome

SHADOW_SAMPLE_WINDOW = 20  # characters either side of a shadow match: a few words, never the whole message


# Personal data held because the message does not say whose it is (bot.detection.ownership: "unknown").
UNSAID_OWNERSHIP = (" The message does not say whose these details are: they may be the poster's own or shared "
                    "with consent; check before confirming.")


def held_alert(incident_id: int, new: NewIncident, focus: Match) -> CommitteeAlert:
    """The committee's alert for an incident held for review: the masked excerpt and the rule, nobody nudged."""
    whose = UNSAID_OWNERSHIP if focus.ownership == "unknown" else ""
    return CommitteeAlert(
        kind=AlertKind.HELD_FOR_REVIEW, platform=new.platform, community_id=new.community_id,
        summary=(f"A message by {new.author_name or new.author_id} may breach clause {new.clauses[0]} "
                 f"({focus.category}): \u201c{new.excerpt}\u201d. Rule: {focus.rule_id}. nudgebot is not sure "
                 f"enough to nudge: nobody has been told.{whose} Confirm to send the nudge, or dismiss it."),
        incident_ids=(incident_id,), severity=new.severity, channel_id=new.channel_id, author_id=new.author_id,
        permalink=new.permalink)


def shadow_records(event: MessageEvent, verdict: Verdict) -> list[ShadowRecord]:
    """One record per shadow-tier match, its sample masked (every match in the message is masked in it)."""
    if not verdict.shadow:
        return []
    everything = (*verdict.matches, *verdict.shadow)
    moment = event.created_at if event.created_at.tzinfo is not None else event.created_at.replace(tzinfo=UTC)
    return [ShadowRecord(platform=event.platform, community_id=event.community_id, rule_id=match.rule_id,
                         clause=match.clause, matched_at=moment, message_id=event.message_id,
                         revision=event.revision,
                         sample=masked_excerpt(event.text, everything, match, window=SHADOW_SAMPLE_WINDOW))
            for match in verdict.shadow]


@dataclass(frozen=True, slots=True)
class Reviewed:
    """A committee decision and what the adapter must now deliver: the released nudge, escalation alerts."""

    incident: Incident
    nudge: Nudge | None = None
    alerts: tuple[CommitteeAlert, ...] = ()


async def after_decision(moderator: Moderator, outcome: ReviewOutcome) -> Reviewed:
    """What follows a committee decision on an incident that was held for review.

    Confirmed: its nudge is owed now (the store made it pending in the same transaction, so the outbox sends it
    after a restart too) and it counts toward escalation (4.3) from now on. Dismissed, or any other decision:
    nothing is sent.
    """
    incident = outcome.incident
    if not outcome.from_review or incident.status is not IncidentStatus.CONFIRMED:
        return Reviewed(incident)
    nudge = moderator.nudge_for(incident) if incident.delivery_status is DeliveryStatus.PENDING else None
    alerts: tuple[CommitteeAlert, ...] = ()
    if incident.targets and is_hostile(incident.clauses):
        alerts = tuple(await moderator.escalation.observe(incident))
    return Reviewed(incident, nudge=nudge, alerts=alerts)
