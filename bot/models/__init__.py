"""The values that pass between the scanner, the moderation core and the platform adapters.

Everything here is plain data (frozen dataclasses and string enums) so that Discord, Slack, the demo and the
chat-export audit all speak to the core in the same terms, and none of them needs to import another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.models.scan import Audience, Match, RuleEffect, ScanContext, Severity, Tier, Verdict, clause_sort_key
from bot.models.stats import IncidentStats, RuleStats

__all__ = [
    "AlertKind", "Audience", "CommitteeAlert", "Community", "Decision", "DeliveryResult", "DeliveryStatus",
    "Escalation", "Incident", "IncidentEvent", "IncidentQuery", "IncidentStats", "IncidentStatus", "Match",
    "MessageEvent", "NewIncident", "Nudge", "NudgeMode", "Outcome", "Platform", "Principal", "ReviewAction",
    "RuleEffect", "RuleStats", "ScanContext", "Severity", "ShadowRecord", "Tier", "Verdict", "WelfareNote",
    "clause_sort_key",
]


class Platform(StrEnum):
    """Where a message came from."""

    DISCORD = "discord"
    SLACK = "slack"
    DEMO = "demo"
    AUDIT = "audit"


@dataclass(frozen=True, slots=True)
class MessageEvent:
    """A message (or an edit of one) as any adapter hands it to the moderator.

    `revision` is 0 for the original post and rises with each edit (Discord: edited_timestamp order; Slack:
    message_changed). One (platform, community_id, message_id, revision) never makes two incidents.
    `targets` are the user ids the message is aimed at: mentions, and the author of the message replied to;
    `target_names` their display names where the platform's event carries them (Discord's mentions do), kept so the
    report names an escalation's target as it names the author.
    `parent_channel_id` is the channel a Discord thread hangs off ("" elsewhere): a thread has its own id, yet
    its members are the parent channel's, so the parent's settings (under 18) apply to it. Slack thread replies
    keep their channel's id and need none.
    """

    platform: Platform
    community_id: str
    channel_id: str
    message_id: str
    author_id: str
    author_name: str
    text: str
    created_at: datetime
    revision: int = 0
    is_edit: bool = False
    targets: tuple[str, ...] = ()
    channel_name: str = ""
    permalink: str = ""
    parent_channel_id: str = ""
    target_names: tuple[tuple[str, str], ...] = ()  # (member id, display name)


class Decision(StrEnum):
    """What the moderator decided for one message."""

    IGNORE = "ignore"  # clean, or nothing to do
    RECORD = "record"  # incident recorded, no nudge (rate-limited nudge, audit mode, record-only community)
    NUDGE = "nudge"  # incident recorded and a nudge is to be delivered
    REVIEW = "review"  # incident held for the committee's review: nobody nudged until a member confirms it
    ESCALATE = "escalate"  # as NUDGE, and an escalation was opened for the committee
    WELFARE = "welfare"  # a private pointer to support; no incident against the poster
    CORRECTED = "corrected"  # an edit removed the breach: incident marked corrected by poster (5.6.6)
    DUPLICATE = "duplicate"  # this message/revision was already handled (retry, replay)


class IncidentStatus(StrEnum):
    """Where an incident is in the committee's review."""

    OPEN = "open"
    REVIEW = "review"  # held for review (review tier): nobody nudged until the committee confirms it
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CORRECTED = "corrected"  # the poster fixed it (5.6.6)


class DeliveryStatus(StrEnum):
    """What happened to the private nudge for an incident."""

    PENDING = "pending"  # recorded, not yet delivered (the outbox retries these on start)
    DELIVERED = "delivered"
    REFUSED = "refused"  # the platform refused (DMs closed, Discord 50007; user not in channel)
    FAILED = "failed"  # gave up after retries
    SUPPRESSED = "suppressed"  # not sent on purpose (rate window, audit, record-only)
    NOT_NEEDED = "not_needed"


class AlertKind(StrEnum):
    """Why the committee is being told something."""

    ESCALATION = "escalation"
    HIGH_SEVERITY = "high_severity"
    NUDGE_REFUSED = "nudge_refused"
    MEMBER_REPORT = "member_report"
    WELFARE = "welfare"
    STORE_DEGRADED = "store_degraded"
    HELD_FOR_REVIEW = "held_for_review"  # a review-tier incident waits in the committee's queue, nobody nudged


@dataclass(frozen=True, slots=True)
class Nudge:
    """The private message to a poster, in structured form; adapters render it (embed, Block Kit, text).

    `excerpt` is already masked (e.g. "r****d", "077•• •••123"): the offending words never appear in full.
    """

    incident_id: int
    platform: Platform
    community_id: str
    channel_id: str
    message_id: str
    recipient_id: str
    clause_id: str
    clause_heading: str
    plain_words: str
    category: str
    excerpt: str
    what_to_do: str
    lookup_hint: str
    mistake_hint: str
    permalink: str = ""
    extra_clauses: tuple[str, ...] = ()

    def to_text(self) -> str:
        """The plain-text form (console, fallback DM)."""
        lines = [
            f"Hi, a quick private note about your message{' in ' + self.channel_id if self.channel_id else ''}.",
            f"It may go against clause {self.clause_id} ({self.clause_heading}) of the Students' Union "
            f"Social Media Policy: {self.plain_words}",
            f"Why: {self.category}, here: \u201c{self.excerpt}\u201d",
            f"What to do now: {self.what_to_do}",
            self.lookup_hint,
            self.mistake_hint,
        ]
        if self.extra_clauses:
            word = "clauses" if len(self.extra_clauses) > 1 else "clause"
            lines.insert(2, f"It may also touch {word} " + ", ".join(self.extra_clauses) + ".")
        if self.permalink:
            lines.append(f"Message: {self.permalink}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class WelfareNote:
    """A kind, private pointer to support for a poster who may be struggling or being harassed."""

    platform: Platform
    community_id: str
    channel_id: str
    recipient_id: str
    text: str


@dataclass(frozen=True, slots=True)
class CommitteeAlert:
    """Something the committee should see in its alert channel, with the incidents it concerns."""

    kind: AlertKind
    platform: Platform
    community_id: str
    summary: str
    incident_ids: tuple[int, ...] = ()
    escalation_id: int | None = None
    severity: Severity | None = None
    channel_id: str = ""
    author_id: str = ""
    target_id: str = ""
    permalink: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the moderator decided and what the adapter must now deliver (incident already committed)."""

    decision: Decision
    incident_id: int | None = None
    nudge: Nudge | None = None
    alerts: tuple[CommitteeAlert, ...] = ()
    welfare: WelfareNote | None = None
    verdict: Verdict = field(default_factory=Verdict)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What an adapter reports back after trying to deliver a nudge; `dms_closed` when the member takes no private
    messages (Discord 50007, Slack refusing both ways), which is remembered for a day (`bot.closed_dms`)."""

    status: DeliveryStatus
    reason: str = ""
    dms_closed: bool = False


@dataclass(frozen=True, slots=True)
class Principal:
    """The member acting on a committee command, as the adapter established it on the server side.

    `is_committee` must come from the platform (committee role, Manage Server, the configured Slack user
    group or committee channel), checked on every call; the core refuses committee actions without it.
    """

    platform: Platform
    community_id: str
    user_id: str
    display_name: str = ""
    is_committee: bool = False


@dataclass(frozen=True, slots=True)
class NewIncident:
    """An incident as the moderator records it; the store adds the id, status and delivery fields."""

    platform: Platform
    community_id: str
    channel_id: str
    message_id: str
    author_id: str
    clauses: tuple[str, ...]
    rules: tuple[str, ...]
    severity: Severity
    excerpt: str
    created_at: datetime
    revision: int = 0
    permalink: str = ""
    author_name: str = ""
    targets: tuple[str, ...] = ()
    content: str | None = None
    delivery_status: DeliveryStatus = DeliveryStatus.PENDING
    tier: Tier = Tier.NUDGE  # REVIEW: recorded with status REVIEW (held for review) instead of OPEN
    delivery_reason: str = ""


@dataclass(frozen=True, slots=True)
class Incident:
    """A recorded incident as the committee reviews it."""

    id: int
    platform: Platform
    community_id: str
    channel_id: str
    message_id: str
    revision: int
    author_id: str
    author_name: str
    targets: tuple[str, ...]
    clauses: tuple[str, ...]
    rules: tuple[str, ...]
    severity: Severity
    excerpt: str
    content: str | None
    created_at: datetime
    status: IncidentStatus
    delivery_status: DeliveryStatus
    delivery_reason: str
    permalink: str
    tier: Tier = Tier.NUDGE  # the tier it was recorded at; REVIEW stays after the committee decides

    @property
    def held_for_review(self) -> bool:
        """True while the incident waits in the committee's review queue with nobody nudged."""
        return self.status is IncidentStatus.REVIEW


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    """Filters for the committee's incident list; None means any."""

    platform: Platform | None = None
    community_id: str | None = None
    status: IncidentStatus | None = None
    clause: str | None = None
    author_id: str | None = None
    channel_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 25
    offset: int = 0


class NudgeMode(StrEnum):
    """What a community wants done with a breach: nudge the poster, only record it, or nothing at all."""

    NUDGE = "nudge"
    RECORD = "record"
    OFF = "off"


@dataclass(frozen=True, slots=True)
class Community:
    """A Discord guild or Slack workspace and the settings its committee chose (`/nudgebot setup`)."""

    platform: Platform
    community_id: str
    name: str = ""
    committee_role: str = ""  # Discord role id or name; Slack user group id
    committee_channel: str = ""  # Slack: members of this channel are the committee
    alert_channel: str = ""
    under18_channels: tuple[str, ...] = ()
    nudge_mode: NudgeMode = NudgeMode.NUDGE
    retention_days: int = 180
    keep_full_content: bool = False
    welfare_contact: str = ""
    welfare_alerts: bool = False

    @property
    def alerts_channel(self) -> str:
        """Where committee alerts go, and so where the committee discusses incidents: the alert channel, else
        (Slack) the committee channel; "" when neither is set."""
        return self.alert_channel or self.committee_channel


class ReviewAction(StrEnum):
    """What a committee member can do to an incident; each moves it to a status and leaves an audit event."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    REOPEN = "reopen"


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """One line of an incident's audit trail: who did what, when, with a note."""

    incident_id: int
    actor_id: str  # a user id, or "nudgebot"
    action: str
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Escalation:
    """Repeated hostility from one author toward one target (4.3), grouped for the committee."""

    id: int
    platform: Platform
    community_id: str
    author_id: str
    target_id: str
    status: str
    created_at: datetime
    incident_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ShadowRecord:
    """One shadow-tier match kept for the committee's rule statistics: never the message's text, never its author."""

    platform: Platform
    community_id: str
    rule_id: str
    clause: str
    sample: str  # the few words around the match, the matched words masked
    matched_at: datetime
    # The message and revision it was seen in: kept once per (message, revision, rule), like an incident, so an
    # audit replayed or running beside the live bot counts it once. None (records made without one) never clashes.
    message_id: str | None = None
    revision: int = 0
