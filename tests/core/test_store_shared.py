"""Several processes on one store, on SQLite and on PostgreSQL: two Store objects (two connections, as two
processes hold) racing for the same incident, nudge claim, daily purge and escalation; exactly one wins each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import DeliveryStatus, Platform
from bot.runtime.purge import purge_daily
from bot.store import Store
from tests.core.test_store_methods import new

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


@pytest.fixture
async def two(db_target: Path | str) -> AsyncIterator[tuple[Store, Store]]:
    """Two stores on one database, as two nudgebot processes would open it."""
    first = await Store.open(db_target)
    second = await Store.open(db_target)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_one_message_revision_is_recorded_once_whoever_sees_it(two: tuple[Store, Store]) -> None:
    a, b = two
    results = await asyncio.gather(*(store.record_incident(new(f"m{n}")) for n in range(20) for store in (a, b)))
    by_message: dict[int, list[bool]] = {}
    for incident_id, created in results:
        by_message.setdefault(incident_id, []).append(created)
    assert len(by_message) == 20  # one incident per message, the same id for both processes
    assert all(sorted(flags) == [False, True] for flags in by_message.values())  # one new, one duplicate
    assert await a.count_incidents() == 20


async def test_exactly_one_process_wins_a_nudges_claim(two: tuple[Store, Store]) -> None:
    a, b = two
    incident_id, _ = await a.record_incident(new("m1"))
    wins = await asyncio.gather(*(store.claim_delivery(incident_id, name, NOW, LEASE)
                                  for store, name in ((a, "proc-a"), (b, "proc-b")) for _ in range(5)))
    assert sum(wins) == 5 and len({w for w in wins[:5]}) == 1  # every attempt of one process, none of the other
    winner, loser = (a, b) if wins[0] else (b, a)
    loser_name = "proc-b" if winner is a else "proc-a"
    assert not await loser.claim_delivery(incident_id, loser_name, NOW + LEASE / 2, LEASE)
    # Once it is delivered nobody can claim it again, even after the lease.
    await winner.set_delivery(incident_id, DeliveryStatus.DELIVERED)
    assert not await loser.claim_delivery(incident_id, loser_name, NOW + 2 * LEASE, LEASE)


async def test_a_dead_holders_claim_lapses_with_its_lease_and_a_release_frees_it(two: tuple[Store, Store]) -> None:
    a, b = two
    lapsed, _ = await a.record_incident(new("m1"))
    released, _ = await a.record_incident(new("m2"))
    assert await a.claim_delivery(lapsed, "proc-a", NOW, LEASE)
    assert not await b.claim_delivery(lapsed, "proc-b", NOW + LEASE - timedelta(seconds=1), LEASE)
    assert await b.claim_delivery(lapsed, "proc-b", NOW + LEASE + timedelta(seconds=1), LEASE)
    assert await a.claim_delivery(released, "proc-a", NOW, LEASE)
    await b.release_delivery(released, "proc-b")  # not b's claim: nothing changes
    assert not await b.claim_delivery(released, "proc-b", NOW, LEASE)
    await a.release_delivery(released, "proc-a")
    assert await b.claim_delivery(released, "proc-b", NOW, LEASE)


async def test_the_daily_purge_is_claimed_once_per_day(two: tuple[Store, Store]) -> None:
    a, b = two
    today = date(2026, 12, 1)
    claims = await asyncio.gather(a.claim_daily_purge(today, "proc-a"), b.claim_daily_purge(today, "proc-b"),
                                  a.claim_daily_purge(today, "proc-a"), b.claim_daily_purge(today, "proc-b"))
    assert sum(claims) == 1
    assert await b.claim_daily_purge(today + timedelta(days=1), "proc-b")  # the next day is a new claim
    assert not await a.claim_daily_purge(today + timedelta(days=1), "proc-a")


async def test_two_processes_escalating_one_pair_open_one_escalation(two: tuple[Store, Store]) -> None:
    a, b = two
    first, _ = await a.record_incident(new("m1", targets=("u9",)))
    second, _ = await b.record_incident(new("m2", targets=("u9",)))
    opened = await asyncio.gather(
        a.open_escalation(Platform.DISCORD, "g1", "u1", "u9", [first], NOW),
        b.open_escalation(Platform.DISCORD, "g1", "u1", "u9", [second], NOW))
    assert sorted(created for _, created in opened) == [False, True]  # the committee is alerted once
    assert opened[0][0].id == opened[1][0].id
    escalations = await a.list_escalations(Platform.DISCORD, "g1")
    assert len(escalations) == 1 and set(escalations[0].incident_ids) == {first, second}
    assert len(await a.hostile_incidents(Platform.DISCORD, "g1", "u1", "u9", NOW - timedelta(days=30))) == 2


async def test_two_processes_daily_purge_tasks_purge_once_a_day(two: tuple[Store, Store],
                                                                caplog: pytest.LogCaptureFixture) -> None:
    a, b = two
    await a.record_incident(new("old", at=NOW - timedelta(days=400), content="full words"))

    async def stop(_seconds: float) -> None:  # one run each: the task ends where it would sleep a day
        raise asyncio.CancelledError

    caplog.set_level("INFO", logger="bot.runtime.purge")
    results = await asyncio.gather(*(purge_daily(store, clock=lambda: NOW, sleep=stop) for store in (a, b)),
                                   return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results)
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.purge"]
    assert sorted(messages) == ["retention purge done", "retention purge skipped: another process purged today"]
    old = await a.latest_incident_for_message(Platform.DISCORD, "g1", "old")
    assert old is not None and old.content is None
