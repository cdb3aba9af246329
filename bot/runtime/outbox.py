"""Re-drives an adapter's outbox while the bot runs, so a nudge a platform outage held back is sent once it is over."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

RETRY_SECONDS = 30.0  # how soon a nudge left undelivered (platform or database down) is tried again
MAX_RETRY_SECONDS = 300.0  # the back-off's ceiling while an outage lasts


class OutboxRetry:
    """Calls `run` every `every` seconds; while runs fail or leave nudges undelivered the wait doubles (to `ceiling`).

    `run` delivers the outbox (`Moderator.pending_nudges`, which also records incidents held while the database
    was failing) and returns how many nudges (or held records) it left undelivered. Adapters skip nudges already
    delivered or in flight, so a run never sends one twice.
    """

    def __init__(self, run: Callable[[], Awaitable[int]], *, every: float = RETRY_SECONDS,
                 ceiling: float | None = None, name: str = "nudgebot-outbox-retry") -> None:
        if every <= 0:
            raise ValueError("the outbox retry interval must be positive")
        self._run = run
        self.every = every
        # Ten intervals at most (30 s -> 5 minutes), so a shortened interval also shortens the back-off.
        self.ceiling = max(every, ceiling if ceiling is not None else min(MAX_RETRY_SECONDS, every * 10))
        self._name = name
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.runs = 0  # for health checks and tests
        self.wait = every  # seconds until the next run

    def start(self) -> None:
        """Start retrying (the first run comes after one interval: the adapter runs the outbox itself on start)."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self, drain_seconds: float = 15.0) -> None:
        """Stop retrying, letting a run in progress finish (bounded).

        Cancelling a delivery between the message and its report would send that nudge again after a restart.
        """
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), drain_seconds)
        except TimeoutError:
            log.warning("stopping during an outbox retry run")
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.wait)
            if self._stopping.is_set():
                return
            try:
                left = await self._run()
            except Exception:
                log.exception("outbox retry failed; trying again later")
                left = -1
            self.runs += 1
            self.wait = min(self.wait * 2, self.ceiling) if left else self.every
            if left:
                log.info("outbox retry left nudges undelivered", extra={"left": left, "next_in": self.wait})
