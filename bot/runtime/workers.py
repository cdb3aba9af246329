"""A fixed pool of moderation workers, one per inbox shard, and the way they stop without losing a message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.logsetup import bound_ids
from bot.models import MessageEvent
from bot.runtime.inbox import Inbox

log = logging.getLogger(__name__)


class Workers:
    """Take messages from the inbox, one per shard at a time, and run `handle` on each.

    `handle` must not raise for one bad message (an error is logged here and the worker goes on). At `stop`, a
    worker with a message in hand finishes it (cancelling a delivery between the DM and its report would send
    that nudge again after a restart); an idle one is cancelled at once; what still waits is saved by the inbox.
    Every line logged while a message is handled carries its workspace's id, and whatever `ids_of` adds (the
    Discord shard it came on).
    """

    def __init__(self, inbox: Inbox, shards: int, handle: Callable[[MessageEvent], Awaitable[None]],
                 name: str, ids_of: Callable[[MessageEvent], Mapping[str, Any]] | None = None) -> None:
        self.inbox = inbox
        self._handle = handle
        self._ids_of = ids_of
        self._name = name
        self._busy = [False] * shards
        self._tasks: list[asyncio.Task[None]] = []
        self.handled = 0  # since start, for health checks and load tests

    def start(self) -> None:
        """Start one worker per shard."""
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._work(shard), name=f"{self._name}-{shard}")
                           for shard in range(len(self._busy))]

    async def stop(self, drain_seconds: float) -> None:
        """Let busy workers finish the message in hand (up to `drain_seconds`), then save what still waits."""
        self.inbox.pause()
        for shard, task in enumerate(self._tasks):
            if not self._busy[shard]:
                task.cancel()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=drain_seconds)
            if late:
                log.warning("stopping with %d moderation(s) unfinished", len(late))
            for task in late:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
        await self.inbox.save()

    async def _work(self, shard: int) -> None:
        while not self.inbox.paused:
            waiting = await self.inbox.get(shard)
            self._busy[shard] = True  # set before any await: a cancel can only reach an idle worker
            event = waiting.event
            ids = {"workspace_id": event.community_id, **(self._ids_of(event) if self._ids_of else {})}
            try:
                with bound_ids(**ids):
                    try:
                        await self._handle(event)
                    except Exception:
                        log.exception("message not moderated", extra={"community_id": event.community_id,
                                                                      "channel_id": event.channel_id,
                                                                      "message_id": event.message_id})
            finally:
                self._busy[shard] = False
                self.handled += 1
                self.inbox.done(shard, waiting)
