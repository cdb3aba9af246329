"""Stricter thresholds where the audience may be under 18 (clause 5.2): pure, no I/O.

Among adults a likely-but-uncertain match of explicit or drug content is held for the committee's review; where
prospective students may read, the same match is nudged straight away, since the harm of leaving it up is
greater and the poster is asked only to edit or delete it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.models import Audience, Match, ScanContext, Tier

UNDER18_STRICTER_CLAUSES = frozenset({"5.5.2", "5.2"})
"""Clauses whose review-tier matches become nudges in under-18 channels: explicit, illegal and unsuitable content."""


def for_audience(match: Match, context: ScanContext) -> Match:
    """The match with its tier raised from review to nudge where under-18s may read and its clause calls for it."""
    tier = audience_tier(match.tier, match.clause, context)
    return match if tier is match.tier else replace(match, tier=tier)


def audience_tier(tier: Tier, clause: str, context: ScanContext) -> Tier:
    """The tier a match of `clause` lands in for this audience (what `for_audience` gives it)."""
    if context.audience is Audience.UNDER18 and tier is Tier.REVIEW and clause in UNDER18_STRICTER_CLAUSES:
        return Tier.NUDGE
    return tier
