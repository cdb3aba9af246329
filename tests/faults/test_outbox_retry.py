"""The periodic outbox retry: runs again and again, backs off while a run leaves work (or fails), resets when it
clears, and lets a run in progress finish when stopped."""

from __future__ import annotations

import asyncio

from bot.runtime.outbox import OutboxRetry


async def test_the_wait_doubles_while_work_is_left_and_resets_when_it_clears() -> None:
    answers = iter([3, 3, RuntimeError("store gone"), 3, 3, 0, 0])
    waits: list[float] = []
    done = asyncio.Event()

    async def run() -> int:
        waits.append(retry.wait)  # the wait that led to this run
        answer = next(answers, None)
        if answer is None:
            done.set()
            return 0
        if isinstance(answer, Exception):
            raise answer
        return answer

    retry = OutboxRetry(run, every=0.001)
    assert retry.ceiling == 0.01  # ten intervals by default
    retry.start()
    await asyncio.wait_for(done.wait(), 10)
    await retry.stop()
    assert waits[:8] == [0.001, 0.002, 0.004, 0.008, 0.01, 0.01, 0.001, 0.001]


async def test_stopping_lets_the_run_in_progress_finish() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def run() -> int:
        started.set()
        await release.wait()
        finished.append(True)
        return 0

    retry = OutboxRetry(run, every=0.001)
    retry.start()
    await asyncio.wait_for(started.wait(), 10)
    stopping = asyncio.create_task(retry.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the delivery in hand, not cancelling it
    release.set()
    await asyncio.wait_for(stopping, 10)
    assert finished == [True]
