"""The daily retention purge: a background task that clears content past each community's retention period."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from bot.store import Store

log = logging.getLogger(__name__)
DAY = timedelta(days=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def purge_daily(store: Store, *, clock: Callable[[], datetime] = _utc_now, every: timedelta = DAY,
                      sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
    """Purge now and then once every `every`, until cancelled; a failed run is logged and tried next time.

    Each run first claims its UTC day in the database (`Store.claim_daily_purge`): with several processes on one
    store, one of them purges each day and the others skip it. Start it beside the bot:
    `task = asyncio.create_task(purge_daily(core.store, clock=core.clock))`, and cancel it on shutdown. `clock`
    and `sleep` are injected so tests run it on simulated time.
    """
    while True:
        try:
            now = clock()
            day = now.astimezone(UTC).date()
            if await store.claim_daily_purge(day):
                try:
                    purged = await store.purge_content(now)
                except BaseException:
                    await _give_back(store, day)  # the day is still owed: the next run of any process takes it
                    raise
                log.info("retention purge done", extra={"purged": purged})
            else:
                log.info("retention purge skipped: another process purged today")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention purge failed; trying again at the next run")
        await sleep(every.total_seconds())


async def _give_back(store: Store, day: date) -> None:
    try:
        await store.release_daily_purge(day)
    except Exception:
        log.exception("could not give back the day's purge claim; the next day's purge catches up")
class DailyPurge:
    """The purge schedule a running bot owns: `start()` beside the adapter, `stop()` before the store closes.

    Both adapters start the one their core holds (`Core.purge`), so retention runs on Discord and Slack alike.
    `clock` and `sleep` drive the schedule; tests pass simulated ones.
    """

    def __init__(self, store: Store, *, clock: Callable[[], datetime] = _utc_now, every: timedelta = DAY,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self.store = store
        self.clock = clock
        self.every = every
        self.sleep = sleep
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the schedule is running."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Purge now, then every `every`, in a background task; a second call does nothing."""
        if not self.running:
            self._task = asyncio.create_task(purge_daily(self.store, clock=self.clock, every=self.every,
                                                         sleep=self.sleep), name="nudgebot-daily-purge")

    async def stop(self) -> None:
        """Cancel the schedule (a purge in progress is a single transaction: it commits or rolls back)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
