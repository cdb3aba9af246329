"""The daily purge task on simulated time: it purges at start and again each day, and survives a failed run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.runtime.purge import purge_daily
from bot.store import Store
from tests.core.test_store_methods import new


class SimulatedDays:
    """A clock and a sleep: each sleep waits until the test lets one day pass."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.sleeping = asyncio.Event()
        self.wake = asyncio.Event()
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.sleeping.set()
        await self.wake.wait()
        self.wake.clear()
        self.now += timedelta(seconds=seconds)

    async def next_day(self) -> None:
        self.sleeping.clear()
        self.wake.set()
        await asyncio.wait_for(self.sleeping.wait(), timeout=10)


async def test_purges_at_start_and_then_every_day(db_target: Path | str) -> None:
    start = datetime(2026, 11, 2, tzinfo=UTC)
    store = await Store.open(db_target, default_retention_days=30)
    days = SimulatedDays(start)
    try:
        old, _ = await store.record_incident(new("old", at=start - timedelta(days=31), content="x"))
        edge, _ = await store.record_incident(new("edge", at=start - timedelta(days=29, hours=12), content="x"))
        task = asyncio.create_task(purge_daily(store, clock=days.clock, sleep=days.sleep))
        await asyncio.wait_for(days.sleeping.wait(), timeout=10)
        assert (await store.get_incident(old)).content is None  # type: ignore[union-attr]
        assert (await store.get_incident(edge)).content == "x"  # type: ignore[union-attr]
        await days.next_day()
        assert (await store.get_incident(edge)).content is None  # type: ignore[union-attr]
        assert days.slept == [86_400.0, 86_400.0]
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await store.close()


async def test_a_failed_purge_is_logged_and_retried_next_day(db_target: Path | str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    store = await Store.open(db_target)
    days = SimulatedDays(datetime(2026, 11, 2, tzinfo=UTC))
    naive = SimulatedDays(datetime(2026, 11, 2))  # a naive clock makes the store refuse the purge
    task = asyncio.create_task(purge_daily(store, clock=naive.clock, sleep=days.sleep))
    try:
        await asyncio.wait_for(days.sleeping.wait(), timeout=10)
        assert "retention purge failed" in caplog.text
        await days.next_day()
        assert caplog.text.count("retention purge failed") == 2 and not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await store.close()
