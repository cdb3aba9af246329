"""The review and shadow tiers through the real core on a real SQLite file: holding, shadow statistics, confirming."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core import Core, open_core
from bot.detection.clauses import PolicyBook
from bot.detection.scanner import Scanner
from bot.errors import NotCommittee, ReviewError
from bot.models import (
    AlertKind,
    Decision,
    DeliveryResult,
    DeliveryStatus,
    IncidentQuery,
    IncidentStatus,
    Platform,
    Principal,
    ReviewAction,
    Tier,
)
from tests.core.pipeline import SimClock, edit, make_settings, message
from tests.tierpack import (
    HELD,
    HELD_RULE,
    NUDGE_RULE,
    SHADOW,
    SHADOW_AND_NUDGE,
    SHADOW_RULE,
    build_tier_scanner,
)

CHAIR = Principal(Platform.DISCORD, "g1", "chair", "Chair", is_committee=True)
MEMBER = Principal(Platform.DISCORD, "g1", "u9", "Member", is_committee=False)


@pytest.fixture(scope="module")
def tier_scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    return build_tier_scanner(tmp_path_factory.mktemp("committee-rules"))


@pytest.fixture
async def tier_core(tmp_path: Path, tier_scanner: Scanner, policy: PolicyBook,
                    clock: SimClock) -> AsyncIterator[Core]:
    opened = await open_core(make_settings(tmp_path), clock=clock, scanner=tier_scanner, policy=policy)
    try:
        yield opened
    finally:
        await opened.close()


def rows(db: Path, sql: str) -> list[sqlite3.Row]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


async def test_a_review_tier_match_is_held_with_no_nudge_and_an_alert(tier_core: Core, clock: SimClock) -> None:
    outcome = await tier_core.moderator.handle(message(clock, HELD, targets=("u2",)))
    assert outcome.decision is Decision.REVIEW
    assert outcome.nudge is None
    assert [a.kind for a in outcome.alerts] == [AlertKind.HELD_FOR_REVIEW]
    alert = outcome.alerts[0]
    assert HELD_RULE in alert.summary and "utter g********t" in alert.summary  # the rule, masked excerpt
    assert "grobblewit" not in alert.summary
    incident = await tier_core.store.get_incident(outcome.incident_id or 0)
    assert incident is not None
    assert (incident.status, incident.tier, incident.delivery_status) == (
        IncidentStatus.REVIEW, Tier.REVIEW, DeliveryStatus.SUPPRESSED)
    # Not in the outbox, not counted against the poster or toward 4.3 while it is uncertain.
    assert await tier_core.moderator.pending_nudges() == []
    assert await tier_core.store.author_incident_count(Platform.DISCORD, "g1", "u1") == 0
    held = await tier_core.review.list(CHAIR, IncidentQuery(status=IncidentStatus.REVIEW))
    assert [i.id for i in held] == [incident.id]
    assert await tier_core.review.list(CHAIR, IncidentQuery(status=IncidentStatus.OPEN)) == []


async def test_confirming_a_held_incident_owes_exactly_one_nudge(tier_core: Core, clock: SimClock) -> None:
    outcome = await tier_core.moderator.handle(message(clock, HELD))
    incident_id = outcome.incident_id or 0
    with pytest.raises(NotCommittee):
        await tier_core.review_incident(MEMBER, incident_id, ReviewAction.CONFIRM)
    reviewed = await tier_core.review_incident(CHAIR, incident_id, ReviewAction.CONFIRM, "it is aimed at her")
    assert reviewed.incident.status is IncidentStatus.CONFIRMED
    assert reviewed.nudge is not None and reviewed.nudge.incident_id == incident_id
    assert "grobblewit" not in reviewed.nudge.to_text()
    # Pending in the store: a restart before sending still sends it (once: delivered ones are never given again).
    assert [n.incident_id for n in await tier_core.moderator.pending_nudges()] == [incident_id]
    await tier_core.moderator.report_delivery(incident_id, DeliveryResult(DeliveryStatus.DELIVERED))
    assert await tier_core.moderator.pending_nudges() == []
    with pytest.raises(ReviewError):  # a second confirmation releases nothing more
        await tier_core.review_incident(CHAIR, incident_id, ReviewAction.CONFIRM)


async def test_dismissing_a_held_incident_sends_nothing(tier_core: Core, clock: SimClock) -> None:
    outcome = await tier_core.moderator.handle(message(clock, HELD))
    reviewed = await tier_core.review_incident(CHAIR, outcome.incident_id or 0, ReviewAction.DISMISS, "banter")
    assert reviewed.incident.status is IncidentStatus.DISMISSED
    assert reviewed.nudge is None
    assert await tier_core.moderator.pending_nudges() == []


async def test_a_dismissed_held_incident_reopens_into_the_review_queue(tier_core: Core, clock: SimClock) -> None:
    held = await tier_core.moderator.handle(message(clock, HELD))
    await tier_core.review_incident(CHAIR, held.incident_id or 0, ReviewAction.DISMISS, "banter")
    reopened = await tier_core.review_incident(CHAIR, held.incident_id or 0, ReviewAction.REOPEN, "look again")
    # Nobody was ever nudged, so it waits for a decision again instead of standing as an open breach.
    assert reopened.incident.status is IncidentStatus.REVIEW and reopened.nudge is None
    assert await tier_core.moderator.pending_nudges() == []
    confirmed = await tier_core.review_incident(CHAIR, held.incident_id or 0, ReviewAction.CONFIRM)
    assert confirmed.nudge is not None  # and confirming it then releases the nudge, once
    assert [n.incident_id for n in await tier_core.moderator.pending_nudges()] == [held.incident_id]


async def test_a_confirmed_held_incident_reopens_as_open(tier_core: Core, clock: SimClock) -> None:
    held = await tier_core.moderator.handle(message(clock, HELD))
    await tier_core.review_incident(CHAIR, held.incident_id or 0, ReviewAction.CONFIRM)
    await tier_core.review_incident(CHAIR, held.incident_id or 0, ReviewAction.RESOLVE)
    reopened = await tier_core.review_incident(CHAIR, held.incident_id or 0, ReviewAction.REOPEN)
    assert reopened.incident.status is IncidentStatus.OPEN  # its nudge was released: it is an ordinary breach now


async def test_held_incidents_count_toward_escalation_only_once_confirmed(tier_core: Core,
                                                                        clock: SimClock) -> None:
    ids = []
    for _ in range(3):  # the threshold is 3 hostile incidents toward one member
        outcome = await tier_core.moderator.handle(message(clock, HELD, targets=("u2",)))
        assert not [a for a in outcome.alerts if a.kind is AlertKind.ESCALATION]
        ids.append(outcome.incident_id or 0)
        clock.advance(minutes=5)
    alerts = []
    for incident_id in ids:
        alerts.extend((await tier_core.review_incident(CHAIR, incident_id, ReviewAction.CONFIRM)).alerts)
    assert [a.kind for a in alerts] == [AlertKind.ESCALATION]
    assert alerts[0].incident_ids == tuple(sorted(ids))


async def test_a_held_message_edited_clean_is_corrected_and_never_nudged(tier_core: Core,
                                                                        clock: SimClock) -> None:
    original = message(clock, HELD)
    held = await tier_core.moderator.handle(original)
    clock.advance(minutes=1)
    outcome = await tier_core.moderator.handle(edit(original, clock, "honestly you lot, read the rota"))
    assert outcome.decision is Decision.CORRECTED and outcome.incident_id == held.incident_id
    incident = await tier_core.store.get_incident(held.incident_id or 0)
    assert incident is not None and incident.status is IncidentStatus.CORRECTED
    assert incident.delivery_status is DeliveryStatus.NOT_NEEDED
    reviewed = await tier_core.review_incident(CHAIR, incident.id, ReviewAction.CONFIRM)
    assert reviewed.nudge is None  # the poster fixed it: confirming later sends nothing


async def test_a_shadow_match_is_counted_and_changes_nothing_else(tier_core: Core, clock: SimClock,
                                                                 tmp_path: Path) -> None:
    outcome = await tier_core.moderator.handle(message(clock, SHADOW, targets=("u2",), message_id="m-shadow"))
    assert outcome.decision is Decision.IGNORE
    assert (outcome.incident_id, outcome.nudge, outcome.alerts) == (None, None, ())
    db = tmp_path / "nudgebot.db"
    assert rows(db, "SELECT COUNT(*) AS n FROM incidents")[0]["n"] == 0
    assert rows(db, "SELECT COUNT(*) AS n FROM incident_events")[0]["n"] == 0
    shadow = rows(db, "SELECT * FROM shadow_matches")
    assert [(r["rule_id"], r["community_id"], r["platform"]) for r in shadow] == [(SHADOW_RULE, "g1", "discord")]
    assert "splonker" not in shadow[0]["sample"] and "s******r" in shadow[0]["sample"]
    assert "friday night" not in shadow[0]["sample"]  # a few words around, never the whole message
    # Never the author nor the text: the message's id and revision only, so a replay counts the match once.
    assert set(shadow[0].keys()) == {"id", "platform", "community_id", "rule_id", "clause", "sample", "matched_at",
                                     "message_id", "revision"}
    assert (shadow[0]["message_id"], shadow[0]["revision"]) == ("m-shadow", 0)


async def test_a_shadow_match_seen_again_is_kept_once_per_message_and_revision(tier_core: Core, clock: SimClock,
                                                                              tmp_path: Path) -> None:
    original = message(clock, SHADOW, message_id="m-replayed")
    for _ in range(2):  # the same message seen twice (a replayed audit, a second process)
        await tier_core.moderator.handle(original)
    clock.advance(minutes=1)
    await tier_core.moderator.handle(edit(original, clock, f"{SHADOW} (edited)"))  # a new revision counts anew
    shadow = rows(tmp_path / "nudgebot.db", "SELECT message_id, revision FROM shadow_matches ORDER BY revision")
    assert [(r["message_id"], r["revision"]) for r in shadow] == [("m-replayed", 0), ("m-replayed", 1)]
    [stats] = await tier_core.store.rule_stats()
    assert (stats.rule_id, stats.shadow) == (SHADOW_RULE, 2)


async def test_a_message_with_a_shadow_and_a_nudge_match_is_nudged_as_usual(tier_core: Core,
                                                                          clock: SimClock) -> None:
    outcome = await tier_core.moderator.handle(message(clock, SHADOW_AND_NUDGE))
    assert outcome.decision is Decision.NUDGE and outcome.nudge is not None
    incident = await tier_core.store.get_incident(outcome.incident_id or 0)
    assert incident is not None and incident.rules == (NUDGE_RULE,) and incident.tier is Tier.NUDGE
    stats = {s.rule_id: s for s in await tier_core.store.rule_stats(Platform.DISCORD, "g1")}
    assert (stats[NUDGE_RULE].nudges, stats[SHADOW_RULE].shadow, stats[SHADOW_RULE].nudges) == (1, 1, 0)


async def test_rule_stats_count_nudges_held_and_shadow_per_rule(tier_core: Core, clock: SimClock) -> None:
    held = await tier_core.moderator.handle(message(clock, HELD))
    await tier_core.moderator.handle(message(clock, HELD))
    await tier_core.moderator.handle(message(clock, SHADOW))
    await tier_core.review_incident(CHAIR, held.incident_id or 0, ReviewAction.CONFIRM)
    stats = {s.rule_id: s for s in await tier_core.store.rule_stats()}
    assert (stats[HELD_RULE].held_for_review, stats[HELD_RULE].confirmed, stats[HELD_RULE].nudges) == (2, 1, 0)
    assert stats[SHADOW_RULE].shadow == 1 and len(stats[SHADOW_RULE].samples) == 1
    summary = await tier_core.review.stats(CHAIR)
    assert (summary.held_for_review, summary.review_queue) == (2, 1)


async def test_shadow_samples_go_with_the_retention_period(tier_core: Core, clock: SimClock, tmp_path: Path) -> None:
    await tier_core.moderator.handle(message(clock, SHADOW))
    clock.advance(days=1)
    await tier_core.moderator.handle(message(clock, SHADOW))
    db = tmp_path / "nudgebot.db"
    assert len(rows(db, "SELECT id FROM shadow_matches")) == 2
    await tier_core.store.purge_content(clock() + timedelta(days=179, hours=12))  # the default 180 days
    assert [r["matched_at"] for r in rows(db, "SELECT matched_at FROM shadow_matches")] == [
        clock().isoformat(timespec="microseconds")]
