"""The scanner's values: audiences, severities, rule effects and tiers, and the matches and verdict of one scan."""

from __future__ import annotations

from dataclasses import dataclass
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
