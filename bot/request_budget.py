"""Discord's invalid requests counted as they happen, so the bot backs off long before Discord bans its address.

Discord restricts an IP address that makes 10,000 invalid requests in 10 minutes: every answer 401, 403 or 429
counts (a 429 whose `X-RateLimit-Scope` is `shared` does not), and each DM refused because a member closed DMs
(50007, a 403) is one. `InvalidRequests` sees every answer discord.py receives through an aiohttp trace (the
library's retries of a 429 included) and tells the sender when this process has spent its budget, a small share
of Discord's limit, so it holds back what can wait (nudges stay in the outbox) until the window has room again.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import aiohttp

log = logging.getLogger(__name__)

DISCORD_LIMIT = 10_000  # invalid requests per window before Discord restricts the address
WINDOW_SECONDS = 600.0
BUDGET = 1_000  # this process's share: a tenth of Discord's limit, so a few processes on one address stay far below
INVALID_STATUSES = frozenset({401, 403, 429})


class InvalidRequests:
    """The invalid answers of the last `window` seconds, and whether this process should hold back."""

    def __init__(self, budget: int = BUDGET, window: float = WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budget = max(1, budget)
        self.window = window
        self._clock = clock
        self._at: deque[float] = deque()
        self.total = 0  # since start, for health checks and tests
        self._in_flight = 0  # sends let through and not yet answered: each may still come back invalid
        self._holding = False

    def _expire(self) -> None:
        horizon = self._clock() - self.window
        while self._at and self._at[0] <= horizon:
            self._at.popleft()

    def record(self, status: int, scope: str | None = None) -> None:
        """One answer from Discord; counted when Discord counts it (401, 403, 429 but for a shared 429)."""
        if status not in INVALID_STATUSES or (status == 429 and (scope or "").lower() == "shared"):
            return
        self._at.append(self._clock())
        self.total += 1
        self._expire()
        if len(self._at) >= self.budget and not self._holding:
            self._holding = True
            log.warning("invalid-request budget spent: holding back nudges and alerts until the window has room",
                        extra={"invalid_requests": len(self._at), "budget": self.budget,
                               "window_seconds": self.window})

    @property
    def in_window(self) -> int:
        """Invalid answers within the window now."""
        self._expire()
        return len(self._at)

    @property
    def exhausted(self) -> bool:
        """True while the window holds the whole budget: send nothing that can wait."""
        spent = self.in_window >= self.budget
        if self._holding and not spent:
            self._holding = False
            log.info("invalid-request window has room again: sending resumes",
                     extra={"invalid_requests": len(self._at), "budget": self.budget})
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

    def trace_config(self) -> aiohttp.TraceConfig:
        """An aiohttp trace that records every answer (discord.py's `http_trace` option)."""
        trace = aiohttp.TraceConfig()

        async def on_request_end(_session: aiohttp.ClientSession, _context: SimpleNamespace,
                                 params: aiohttp.TraceRequestEndParams) -> None:
            self.record(params.response.status, params.response.headers.get("X-RateLimit-Scope"))

        trace.on_request_end.append(on_request_end)
        return trace
