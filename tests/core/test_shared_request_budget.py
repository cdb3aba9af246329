"""The invalid-request budget is one budget for every process sharing a store (Discord counts per address), on
SQLite and PostgreSQL: the counts add up across stores and processes, in batches, and leave with the window."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from bot.request_budget import InvalidRequests
from bot.store import Store

START = 1_796_000_000.0  # a fixed moment (Unix time) on the fake clock


class FakeClock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


async def test_two_stores_on_one_database_add_up_to_the_shared_budget(db_target: Path | str) -> None:
    clock = FakeClock()
    first, second = await Store.open(db_target), await Store.open(db_target)
    try:
        here = InvalidRequests(budget=10, clock=clock, shared=first)
        there = InvalidRequests(budget=10, clock=clock, shared=second)
        for _ in range(6):
            here.record(403)
        for _ in range(4):
            there.record(429, "user")
        there.record(429, "shared")  # not counted by Discord, so not by us
        assert not here.exhausted and not there.exhausted  # each alone is within the budget
        await here.sync()
        await there.sync()  # adds its 4 and learns the other's 6
        assert (there.in_window, there.exhausted) == (10, True)
        with there.attempt() as allowed:
            assert not allowed
        assert not here.exhausted  # it has not heard yet: the next sync tells it
        await here.sync()
        assert (here.in_window, here.exhausted) == (10, True)
        assert (here.total, there.total) == (6, 4)  # each process still knows its own

        clock.now += 11 * 60  # the window has moved past every answer
        await there.sync()
        assert (there.in_window, there.exhausted) == (0, False)
        here.record(401)
        await here.sync()  # adding deletes the minutes the window has left behind
        assert (here.in_window, here.exhausted) == (1, False)
        rows = await first._rows("SELECT minute, answers FROM invalid_requests")
        assert [(r["minute"], r["answers"]) for r in rows] == [(int(clock.now // 60), 1)]
    finally:
        await first.close()
        await second.close()


async def test_an_answer_is_counted_once_however_often_a_process_syncs(db_target: Path | str) -> None:
    clock = FakeClock()
    store = await Store.open(db_target)
    try:
        budget = InvalidRequests(budget=100, clock=clock, shared=store)
        budget.record(401)
        clock.now += 61  # the next minute's row
        budget.record(403)
        for _ in range(3):
            await budget.sync()
        assert budget.in_window == 2
        rows = await store._rows("SELECT minute, answers FROM invalid_requests ORDER BY minute")
        assert [(r["minute"], r["answers"]) for r in rows] == [(int(START // 60), 1), (int(START // 60) + 1, 1)]
    finally:
        await store.close()


SECOND_PROCESS = textwrap.dedent("""
    import asyncio, sys
    from bot.request_budget import InvalidRequests
    from bot.store import Store

    async def main() -> None:
        store = await Store.open(sys.argv[1])
        try:
            budget = InvalidRequests(budget=int(sys.argv[2]), clock=lambda: float(sys.argv[3]), shared=store)
            for _ in range(int(sys.argv[4])):
                budget.record(403)
            await budget.sync()
            print(budget.in_window, budget.exhausted)
        finally:
            await store.close()

    asyncio.run(main())
""")


async def test_another_process_on_the_store_spends_this_ones_budget(db_target: Path | str) -> None:
    clock = FakeClock()
    store = await Store.open(db_target)
    try:
        here = InvalidRequests(budget=50, clock=clock, shared=store)
        for _ in range(20):
            here.record(403)
        await here.sync()
        other = subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(db_target), "50", str(clock.now), "30"],
                               capture_output=True, text=True, timeout=120, check=False)
        assert other.returncode == 0, other.stderr
        assert other.stdout.split() == ["50", "True"]  # it saw our 20 besides its own 30
        await here.sync()
        assert (here.in_window, here.exhausted) == (50, True)
    finally:
        await store.close()
