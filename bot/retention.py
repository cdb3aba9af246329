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
