"""The committee's figures: incident statistics for a period, and what one rule did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


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
