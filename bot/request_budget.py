"""Discord's invalid requests counted as they happen, by every process on one address, so together they back off
long before Discord bans it.

Discord restricts an IP address that makes 10,000 invalid requests in 10 minutes: every answer 401, 403 or 429
counts (a 429 whose `X-RateLimit-Scope` is `shared` does not), and each DM refused because a member closed DMs
(50007, a 403) is one. `InvalidRequests` sees every answer discord.py receives through an aiohttp trace (the
library's retries of a 429 included). The budget, a fifth of Discord's limit, is shared by every process that
shares the store (`nudgebot discord --shards ...` processes on one machine): each adds what it counted to a row
per minute in the store (`bot.store.request_counts`) and reads everyone's total for the last ten minutes, in
batches (every `SYNC_SECONDS`, or sooner once `SYNC_BATCH` answers are waiting), never a round trip per request.
While the total reaches the budget, the sender holds back what can wait (nudges stay in the outbox) until the
window has room again. Between two syncs a process counts what it saw itself, so the budget can be overrun by at
most what the processes receive in one sync interval: far below the rest of Discord's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Protocol

import aiohttp

from bot.store import STORE_FAILURES

log = logging.getLogger(__name__)

DISCORD_LIMIT = 10_000  # invalid requests per window before Discord restricts the address
WINDOW_SECONDS = 600.0
BUDGET = 2_000  # for every process sharing the store together: a fifth of Discord's limit
INVALID_STATUSES = frozenset({401, 403, 429})
SYNC_SECONDS = 2.0  # how often the counts go to the store and everyone's total comes back
SYNC_BATCH = 20  # answers waiting that bring the next sync forward
STOP_SYNC_SECONDS = 5.0
MINUTE = 60


class SharedCounts(Protocol):
    """Where the processes on one address add up their invalid answers (the store)."""

    async def add_invalid_requests(self, counts: Mapping[int, int], since_minute: int) -> int:
        """Add counts per minute (Unix time // 60); everyone's total from `since_minute` on."""
        ...


class InvalidRequests:
    """The invalid answers of the last `window` seconds (this process's and, with `shared`, every process's
    sharing the store), and whether to hold back."""

    def __init__(self, budget: int = BUDGET, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.time, shared: SharedCounts | None = None) -> None:
        self.budget = max(1, budget)
        self.window = window
        self._clock = clock
        self._shared = shared
        self._at: deque[float] = deque()
        self.total = 0  # this process's, since start, for health checks and tests
        self._in_flight = 0  # sends let through and not yet answered: each may still come back invalid
        self._holding = False
        self._unsynced: Counter[int] = Counter()  # minute -> answers not yet added to the store
        self._everyone = 0  # every process's answers in the window, as of the last sync
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sync_failing = False

    def _expire(self) -> None:
        horizon = self._clock() - self.window
        while self._at and self._at[0] <= horizon:
            self._at.popleft()

    def record(self, status: int, scope: str | None = None) -> None:
        """One answer from Discord; counted when Discord counts it (401, 403, 429 but for a shared 429)."""
        if status not in INVALID_STATUSES or (status == 429 and (scope or "").lower() == "shared"):
            return
        now = self._clock()
        self._at.append(now)
        self.total += 1
        if self._shared is not None:
            self._unsynced[int(now // MINUTE)] += 1
            if sum(self._unsynced.values()) >= SYNC_BATCH:
                self._wake.set()
        self._expire()
        self._note_spent()

    def _note_spent(self) -> None:
        if self.in_window >= self.budget and not self._holding:
            self._holding = True
            log.warning("invalid-request budget spent: holding back nudges and alerts until the window has room",
                        extra={"invalid_requests": self.in_window, "budget": self.budget,
                               "window_seconds": self.window, "shared": self._shared is not None})

    @property
    def in_window(self) -> int:
        """Invalid answers within the window now: this process's own, or every process's as of the last sync
        plus this process's since, whichever is more."""
        self._expire()
        return max(len(self._at), self._everyone + sum(self._unsynced.values()))

    @property
    def exhausted(self) -> bool:
        """True while the window holds the whole budget: send nothing that can wait."""
        spent = self.in_window >= self.budget
        if self._holding and not spent:
            self._holding = False
            log.info("invalid-request window has room again: sending resumes",
                     extra={"invalid_requests": self.in_window, "budget": self.budget})
        return spent

    @contextmanager
    def attempt(self) -> Iterator[bool]:
        """Whether a send that can wait may go now: only while the invalid answers in the window and the sends
        still awaiting theirs (each could be refused) stay within the budget. Hold the block until it is answered."""
        allowed = not self.exhausted and self.in_window + self._in_flight < self.budget
        if allowed:
            self._in_flight += 1
        try:
            yield allowed
        finally:
            if allowed:
                self._in_flight -= 1

    async def sync(self) -> None:
        """Add what this process counted since the last sync to the store, and learn every process's total for
        the window. A store that cannot be reached keeps the counts for the next sync (this process goes on
        counting its own meanwhile)."""
        if self._shared is None:
            return
        sending, self._unsynced = self._unsynced, Counter()
        since = int((self._clock() - self.window) // MINUTE)  # the minute the window starts in, counted whole
        try:
            self._everyone = await self._shared.add_invalid_requests(sending, since)
        except STORE_FAILURES as exc:
            self._unsynced.update(sending)
            if not self._sync_failing:  # once per outage, not every SYNC_SECONDS
                self._sync_failing = True
                log.warning("could not share the invalid-request count; counting this process's own meanwhile",
                            extra={"error": type(exc).__name__})
            return
        if self._sync_failing:
            self._sync_failing = False
            log.info("invalid-request count shared again")
        self._note_spent()

    def start(self) -> None:
        """Sync with the store every SYNC_SECONDS (sooner once SYNC_BATCH answers wait) until `stop`."""
        if self._shared is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="nudgebot-invalid-requests")

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SYNC_SECONDS)
            self._wake.clear()
            try:
                await self.sync()
            except Exception:  # the count must go on whatever one sync met
                log.exception("invalid-request sync failed")

    async def stop(self) -> None:
        """Stop syncing, adding what is still unsynced to the store (for at most STOP_SYNC_SECONDS: a locked or
        unreachable store must not hold up the shutdown)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sync(), STOP_SYNC_SECONDS)

    def trace_config(self) -> aiohttp.TraceConfig:
        """An aiohttp trace that records every answer (discord.py's `http_trace` option)."""
        trace = aiohttp.TraceConfig()

        async def on_request_end(_session: aiohttp.ClientSession, _context: SimpleNamespace,
                                 params: aiohttp.TraceRequestEndParams) -> None:
            self.record(params.response.status, params.response.headers.get("X-RateLimit-Scope"))

        trace.on_request_end.append(on_request_end)
        return trace
