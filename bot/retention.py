"""The daily retention purge: a background task that clears content past each community's retention period."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.store import Store

log = logging.getLogger(__name__)
DAY = timedelta(days=1)


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def purge_daily(store: Store, *, clock: Callable[[], datetime] = _utc_now, every: timedelta = DAY,
                      sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
    """Purge now and then once every `every`, until cancelled; a failed run is logged and tried next time.

    Start it beside the bot: `task = asyncio.create_task(purge_daily(core.store, clock=core.clock))`, and
    cancel it on shutdown. `clock` and `sleep` are injected so tests run it on simulated time.
    """
    while True:
        try:
            purged = await store.purge_content(clock())
            log.info("retention purge done", extra={"purged": purged})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention purge failed; trying again at the next run")
        await sleep(every.total_seconds())
