"""The figures one committee report shows, as plain values (gathered from the store, rendered by `page`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.models import Incident


@dataclass(frozen=True, slots=True)
class RuleFigures:
    """How often one rule fired, and how often the committee or the poster said it was wrong."""

    rule: str
    incidents: int
    dismissed: int = 0  # dismissed by the committee
    mistakes: int = 0  # dismissed, and the poster had pressed "this was a mistake"

    @property
    def mistake_rate(self) -> float:
        """Share of this rule's incidents the committee dismissed (0..1)."""
        if not self.incidents:
            return 0.0
        return min(1.0, self.dismissed / self.incidents)


@dataclass(frozen=True, slots=True)
class EscalationRow:
    """One escalation (repeated hostility from one member toward another) as the report lists it."""

    id: int
    author: str
    target: str
    incidents: int
    opened: datetime
    status: str


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything on the page. `weekly` is ordered oldest first: (ISO week label, {clause: incidents})."""

    title: str
    generated_at: datetime
    since: datetime | None = None
    until: datetime | None = None
    weekly: tuple[tuple[str, Mapping[str, int]], ...] = ()
    rules: tuple[RuleFigures, ...] = ()
    delivery: Mapping[str, int] = field(default_factory=dict)  # delivery status -> nudges
    escalations: tuple[EscalationRow, ...] = ()
    open_incidents: tuple[Incident, ...] = ()
    open_total: int = 0
    status_counts: Mapping[str, int] = field(default_factory=dict)  # incident status -> incidents
    held_incidents: tuple[Incident, ...] = ()  # held for review now (review tier): nobody nudged yet
    held_total: int = 0
    held_in_period: int = 0  # recorded at the review tier in the period, whatever the committee decided since
    member_names: Mapping[str, str] = field(default_factory=dict)  # member id -> display name, where known
    channel_names: Mapping[str, str] = field(default_factory=dict)  # channel id -> name, where known

    @property
    def total_incidents(self) -> int:
        """Incidents in the period, by their status counts."""
        return sum(self.status_counts.values())

    @property
    def nudges_attempted(self) -> int:
        """Nudges whose delivery was attempted: delivered, refused or failed (pending ones are still in the outbox)."""
        return sum(self.delivery.get(k, 0) for k in ("delivered", "refused", "failed"))

    @property
    def delivery_rate(self) -> float | None:
        """Delivered nudges over attempted ones; None when no nudge was attempted."""
        attempted = self.nudges_attempted
        return self.delivery.get("delivered", 0) / attempted if attempted else None

    @property
    def mistake_rate(self) -> float | None:
        """Incidents dismissed by the committee over all incidents; None when there are none."""
        total = self.total_incidents
        return self.status_counts.get("dismissed", 0) / total if total else None
