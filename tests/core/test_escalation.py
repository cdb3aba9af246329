"""Cyberbullying escalation (4.3) on a simulated clock: threshold, sliding window, pairs kept apart."""

from __future__ import annotations

from pathlib import Path

from bot.core import Core, open_core
from bot.detection.clauses import PolicyBook
from bot.detection.scanner import Scanner
from bot.models import AlertKind, Decision, IncidentStatus, Outcome, Platform
from tests.core.pipeline import SimClock, make_settings, message

HOSTILE = ["honestly you're a complete idiot", "nobody likes you", "you are such a retard mate",
           "you're an idiot", "what a faggot"]


async def _hostile(core: Core, clock: SimClock, n: int, author: str = "a", target: str = "b") -> Outcome:
    return await core.moderator.handle(message(clock, HOSTILE[n % len(HOSTILE)], author=author, targets=(target,)))


def _escalations(outcome: Outcome) -> list:
    return [a for a in outcome.alerts if a.kind is AlertKind.ESCALATION]


async def test_the_third_hostile_message_in_a_week_opens_an_escalation(core: Core, clock: SimClock) -> None:
    outcomes = []
    for n in range(3):
        outcomes.append(await _hostile(core, clock, n))
        clock.advance(days=2)
    assert [_escalations(o) for o in outcomes[:2]] == [[], []]
    assert outcomes[2].decision is Decision.ESCALATE
    (alert,) = _escalations(outcomes[2])
    ids = tuple(o.incident_id for o in outcomes)
    assert alert.incident_ids == ids and alert.author_id == "a" and alert.target_id == "b"
    assert "in all: 3" in alert.summary  # the repeat-offender count
    assert alert.escalation_id is not None
    stored = await core.store.get_escalation(alert.escalation_id)
    assert stored is not None and stored.incident_ids == ids and stored.status == "open"
    # A fourth joins the open escalation instead of opening another or alerting again.
    fourth = await _hostile(core, clock, 3)
    assert _escalations(fourth) == [] and fourth.decision is not Decision.ESCALATE
    (only,) = await core.store.list_escalations(Platform.DISCORD, "g1")
    assert only.id == alert.escalation_id and fourth.incident_id in only.incident_ids


async def test_incidents_outside_the_window_do_not_count(core: Core, clock: SimClock) -> None:
    await _hostile(core, clock, 0)  # day 0
    clock.advance(days=5)
    await _hostile(core, clock, 1)  # day 5
    clock.advance(days=4)
    third = await _hostile(core, clock, 2)  # day 9: day 0 has left the 7-day window
    assert _escalations(third) == []
    clock.advance(days=1)
    fourth = await _hostile(core, clock, 3)  # day 10: days 5, 9 and 10 are within 7 days
    (alert,) = _escalations(fourth)
    assert len(alert.incident_ids) == 3 and third.incident_id in alert.incident_ids


async def test_different_targets_and_authors_are_kept_apart(core: Core, clock: SimClock) -> None:
    seen = []
    for n, (author, target) in enumerate([("a", "b"), ("a", "c"), ("x", "b"), ("a", "c"), ("x", "b"), ("a", "b")]):
        seen.append(await _hostile(core, clock, n, author=author, target=target))
        clock.advance(hours=6)
    assert all(_escalations(o) == [] for o in seen)
    assert await core.store.list_escalations(Platform.DISCORD, "g1") == []
    third_ab = await _hostile(core, clock, 2, author="a", target="b")
    (alert,) = _escalations(third_ab)
    assert (alert.author_id, alert.target_id) == ("a", "b")
    assert set(alert.incident_ids) == {seen[0].incident_id, seen[5].incident_id, third_ab.incident_id}


async def test_untargeted_self_targeted_and_non_hostile_incidents_do_not_count(core: Core, clock: SimClock) -> None:
    for _ in range(2):
        await core.moderator.handle(message(clock, "you are such a retard mate", author="a"))  # nobody targeted
        await core.moderator.handle(message(clock, "nobody likes you", author="a", targets=("a",)))  # self
        # Personal data about someone is serious, but it is not hostility toward them (5.5.5, not 4.3).
        outcome = await core.moderator.handle(message(clock, "her number is 07700 900123", author="a",
                                                      targets=("b",)))
        assert _escalations(outcome) == []
    assert await core.store.list_escalations(Platform.DISCORD, "g1") == []


async def test_dismissed_incidents_do_not_count(core: Core, clock: SimClock) -> None:
    first = await _hostile(core, clock, 0)
    assert first.incident_id is not None
    await core.store.set_status(first.incident_id, IncidentStatus.DISMISSED, "committee-1", "dismiss", "banter")
    await _hostile(core, clock, 1)
    third = await _hostile(core, clock, 2)
    assert _escalations(third) == []
    fourth = await _hostile(core, clock, 3)
    assert len(_escalations(fourth)) == 1


async def test_threshold_and_window_come_from_settings(tmp_path: Path, scanner: Scanner, policy: PolicyBook,
                                                       clock: SimClock) -> None:
    settings = make_settings(tmp_path, NUDGEBOT_ESCALATION_THRESHOLD="2", NUDGEBOT_ESCALATION_WINDOW_DAYS="1")
    opened = await open_core(settings, clock=clock, scanner=scanner, policy=policy)
    try:
        await _hostile(opened, clock, 0)
        clock.advance(hours=25)
        assert _escalations(await _hostile(opened, clock, 1)) == []  # more than a day apart
        clock.advance(hours=2)
        assert len(_escalations(await _hostile(opened, clock, 2))) == 1  # two within a day
    finally:
        await opened.close()


async def test_an_audit_of_old_messages_escalates_on_message_time(core: Core, clock: SimClock) -> None:
    # A chat export is audited weeks later: the window follows the messages' own times, not the clock.
    events = []
    for n in range(3):
        events.append(message(clock, HOSTILE[n], author="a", targets=("b",)))
        clock.advance(days=1)
    clock.advance(days=30)
    outcomes = [await core.moderator.handle(e, deliver=False) for e in events]
    assert len(_escalations(outcomes[2])) == 1 and outcomes[2].nudge is None
