"""The values that pass between the scanner, the moderation core and the platform adapters.

Everything here is plain data (frozen dataclasses and string enums) so that Discord, Slack, the demo and the
chat-export audit all speak to the core in the same terms, and none of them needs to import another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Audience(StrEnum):
    """Who may read a channel: clause 5.2 applies stricter rules where members may be under 18."""

    GENERAL = "general"
    UNDER18 = "under18"


class Severity(StrEnum):
    """How serious a match is; drives whether the committee is alerted straight away."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """Order for comparisons: low < medium < high < critical."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class RuleEffect(StrEnum):
    """What a rule's match means.

    breach: the message breaches the rule's clause.
    welfare: the poster may need support (self-harm, being harassed); never a breach against them.
    counter: the message reports, quotes or challenges abuse; breaches in its scope are not nudged.
    """

    BREACH = "breach"
    WELFARE = "welfare"
    COUNTER = "counter"


class Tier(StrEnum):
    """What a standing match leads to.

    nudge: a clear breach: an incident and a private nudge to the poster.
    review: a likely breach: an incident held for the committee's review, nobody nudged.
    shadow: a rule on trial: the match is counted for the committee's rule statistics and changes nothing else.
    """

    NUDGE = "nudge"
    REVIEW = "review"
    SHADOW = "shadow"

    @property
    def rank(self) -> int:
        """Higher is stronger: nudge > review > shadow."""
        return {"shadow": 0, "review": 1, "nudge": 2}[self.value]


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What the scanner needs to know about where a message was posted."""

    audience: Audience = Audience.GENERAL


@dataclass(frozen=True, slots=True)
class Match:
    """One rule firing on one span of the ORIGINAL message text (start inclusive, end exclusive)."""

    rule_id: str
    clause: str
    category: str
    start: int
    end: int
    severity: Severity
    confidence: float
    effect: RuleEffect = RuleEffect.BREACH
    tier: Tier = Tier.NUDGE
    # Personal data only (bot.detection.ownership): whose the detail is, "own", "consented", "public", "others"
    # or "unknown"; "" for every other kind of match.
    ownership: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The scanner's answer for one message.

    `matches` are the breaches that stand (counter-speech and allowlists already applied), each of the
    nudge or the review tier; `welfare` are signals that the poster may need support; `suppressed` are
    breaches that were withdrawn and why, kept for `nudgebot explain`; `shadow` are matches of rules on
    trial, kept only for the committee's rule statistics.
    """

    matches: tuple[Match, ...] = ()
    welfare: tuple[Match, ...] = ()
    suppressed: tuple[tuple[Match, str], ...] = ()
    shadow: tuple[Match, ...] = ()

    @property
    def tier(self) -> Tier | None:
        """The strongest tier among the standing breaches (nudge over review), or None when none stands."""
        if not self.matches:
            return None
        return max((m.tier for m in self.matches), key=lambda t: t.rank)

    @property
    def flagged(self) -> bool:
        """True when a breach of the nudge tier stands: the poster is nudged."""
        return self.tier is Tier.NUDGE

    @property
    def held_for_review(self) -> bool:
        """True when the strongest standing breach is of the review tier: the committee reviews, nobody is nudged."""
        return self.tier is Tier.REVIEW

    @property
    def breached(self) -> bool:
        """True when any breach stands, of either tier."""
        return bool(self.matches)

    @property
    def clauses(self) -> tuple[str, ...]:
        """The clauses breached, sorted by clause number."""
        return tuple(sorted({m.clause for m in self.matches}, key=clause_sort_key))

    @property
    def severity(self) -> Severity | None:
        """The most serious severity among the breaches, or None when nothing is breached."""
        if not self.matches:
            return None
        return max((m.severity for m in self.matches), key=lambda s: s.rank)


def clause_sort_key(clause_id: str) -> tuple[int, ...]:
    """Sort clause ids numerically ("5.5.10" after "5.5.2")."""
    return tuple(int(part) if part.isdigit() else 0 for part in clause_id.split("."))


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
    `targets` are the user ids the message is aimed at: mentions, and the author of the message replied to.
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
class IncidentStats:
    """What the committee's statistics and the HTML report show for one community (or all) over a period.

    Counts cover incidents created in [since, until) except `open_incidents`, which is the review queue now.
    ISO weeks are written "2026-W48"; an incident breaching two clauses counts once under each.
    """

    since: datetime | None
    until: datetime | None
    total: int = 0
    open_incidents: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_clause_week: dict[str, dict[str, int]] = field(default_factory=dict)  # clause -> ISO week -> count
    top_rules: tuple[tuple[str, int], ...] = ()  # most frequent first
    delivery: dict[str, int] = field(default_factory=dict)  # DeliveryStatus value -> count
    dismissed_by_rule: dict[str, int] = field(default_factory=dict)
    mistakes_by_rule: dict[str, int] = field(default_factory=dict)  # dismissed AND a member said "mistake"
    escalations: dict[str, int] = field(default_factory=dict)  # escalation status -> count
    held_for_review: int = 0  # incidents recorded at the review tier in the period, whatever became of them
    review_queue: int = 0  # incidents held for review now (status review), like `open_incidents`

    @property
    def weeks(self) -> tuple[str, ...]:
        """Every ISO week that has an incident, in order."""
        return tuple(sorted({week for per_week in self.by_clause_week.values() for week in per_week}))

    @property
    def delivery_rate(self) -> float | None:
        """Delivered nudges over nudges attempted (delivered, refused or failed); None when none were."""
        attempted = sum(self.delivery.get(s, 0) for s in ("delivered", "refused", "failed"))
        return self.delivery.get("delivered", 0) / attempted if attempted else None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form (for `--json` and exports)."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "total": self.total, "open_incidents": self.open_incidents, "by_status": dict(self.by_status),
            "by_clause_week": {c: dict(w) for c, w in self.by_clause_week.items()},
            "top_rules": [list(pair) for pair in self.top_rules], "delivery": dict(self.delivery),
            "delivery_rate": self.delivery_rate, "dismissed_by_rule": dict(self.dismissed_by_rule),
            "mistakes_by_rule": dict(self.mistakes_by_rule), "escalations": dict(self.escalations),
            "held_for_review": self.held_for_review, "review_queue": self.review_queue,
        }


@dataclass(frozen=True, slots=True)
class ShadowRecord:
    """One shadow-tier match kept for the committee's rule statistics: never the message, never its author."""

    platform: Platform
    community_id: str
    rule_id: str
    clause: str
    sample: str  # the few words around the match, the matched words masked
    matched_at: datetime


@dataclass(frozen=True, slots=True)
class RuleStats:
    """What one rule did in a period (`nudgebot rules stats`): nudge-tier and held incidents, shadow volume."""

    rule_id: str
    nudges: int = 0  # incidents recorded at the nudge tier naming the rule
    held_for_review: int = 0  # incidents recorded at the review tier naming the rule
    confirmed: int = 0  # of those held, how many the committee confirmed
    dismissed: int = 0  # incidents naming the rule that the committee dismissed (any tier)
    shadow: int = 0  # shadow-tier matches recorded
    samples: tuple[str, ...] = ()  # a few masked shadow samples, newest first

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {"rule": self.rule_id, "nudges": self.nudges, "held_for_review": self.held_for_review,
                "confirmed": self.confirmed, "dismissed": self.dismissed, "shadow": self.shadow,
                "samples": list(self.samples)}
