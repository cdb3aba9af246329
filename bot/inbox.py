"""Messages waiting for moderation: in memory up to a limit, beyond it in the database, always in arrival order.

A flood (a raid, or the backlog a platform replays after an outage) can arrive far faster than messages are
moderated. Holding all of it in memory would let anyone who can post grow the bot without bound, so past
`memory_limit` waiting messages the inbox writes new arrivals to the database's `inbox` table and reads them
back, oldest first, as room frees. Messages still waiting when the bot stops are saved there too and moderated
first on the next start, so a restart loses nothing. Rows are deleted once moderated (with SQLite's
secure_delete on, their text is overwritten in the file). Each shard (one worker) sees its messages in arrival
order; a message and its edits always go to the same shard.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
import zlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.models import MessageEvent, Platform
from bot.store.base import StoreError

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

MEMORY_LIMIT = 2_000  # waiting messages kept in memory (about 1 KB each) before new arrivals go to disk
BATCH = 500  # rows written, read back or deleted per transaction
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)  # after the database failed, before trying again
STOP_SECONDS = 30.0  # at stop, for the step in hand (one transaction) to finish


def event_to_json(event: MessageEvent) -> str:
    """A message as JSON, for the inbox table."""
    fields = asdict(event)
    fields["platform"] = event.platform.value
    fields["created_at"] = event.created_at.isoformat()
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def event_from_json(text: str) -> MessageEvent:
    """The message `event_to_json` wrote."""
    fields = json.loads(text)
    fields["platform"] = Platform(fields["platform"])
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    fields["targets"] = tuple(fields.get("targets", ()))
    return MessageEvent(**fields)


def shard_of(event: MessageEvent, shards: int) -> int:
    """The shard a message (and every edit of it) is moderated on: stable across restarts and platforms."""
    return zlib.crc32(event.message_id.encode()) % shards


@dataclass(frozen=True, slots=True)
class Waiting:
    """A message handed to a worker, and its inbox row when it was read back from the database."""

    event: MessageEvent
    row_id: int | None = None


class Inbox:
    """The waiting messages of one platform; `put` never blocks, `get(shard)` hands them to that shard's worker."""

    def __init__(self, store: Store, platform: Platform, shards: int, *, memory_limit: int = MEMORY_LIMIT,
                 batch: int = BATCH) -> None:
        self._store = store
        self._platform = platform
        self._queues: list[asyncio.Queue[Waiting]] = [asyncio.Queue() for _ in range(shards)]
        self.memory_limit = max(2, memory_limit)
        self._batch = max(1, batch)
        self._in_memory = 0  # queued in memory or being moderated
        self._overflow: list[MessageEvent] = []  # arrived while the memory was full, not yet written to disk
        self._on_disk = 0  # written to disk, not yet read back
        self._read_up_to = 0  # the highest row id read back
        self._finished: list[int] = []  # rows moderated, to delete
        self._wake = asyncio.Event()
        self._mover: asyncio.Task[None] | None = None
        self._paused = False
        self._stopping = False
        self._stop = asyncio.Event()
        self.written_to_disk = 0  # since start: for health checks and benchmarks
        self.peak_in_memory = 0
        self.peak_overflow = 0  # arrivals held in memory at once while being written to disk

    @property
    def backlog(self) -> int:
        """Messages waiting or being moderated, in memory and on disk."""
        return self._in_memory + len(self._overflow) + self._on_disk

    @property
    def paused(self) -> bool:
        """True once `pause` was called: workers finish the message in hand and take no more."""
        return self._paused

    async def start(self) -> None:
        """Count the messages a previous run left waiting (moderated first) and start moving messages."""
        try:
            self._on_disk = await self._store.inbox_count(self._platform)
        except (StoreError, sqlite3.Error, OSError) as exc:
            log.error("could not read the inbox left by the last run (%s); it is read at the next start", exc)
        if self._on_disk:
            log.info("%d message(s) left waiting by the last run: moderating them first", self._on_disk)
            self._wake.set()
        if self._mover is None:
            self._mover = asyncio.create_task(self._move_forever(), name=f"nudgebot-inbox-{self._platform.value}")

    def put(self, event: MessageEvent) -> None:
        """Queue a message for moderation (no await: callers keep the platform's order)."""
        if self._overflow or self._on_disk or self._in_memory >= self.memory_limit:
            self._overflow.append(event)  # behind everything waiting on disk
            self.peak_overflow = max(self.peak_overflow, len(self._overflow))
            self._wake.set()
        else:
            self._enqueue(Waiting(event))

    async def get(self, shard: int) -> Waiting:
        """The next message for this shard's worker (waits for one)."""
        return await self._queues[shard].get()

    def done(self, shard: int, waiting: Waiting) -> None:
        """The worker finished this message (moderated, or failed and logged)."""
        self._queues[shard].task_done()
        self._in_memory -= 1
        if waiting.row_id is not None:
            self._finished.append(waiting.row_id)
        room = self._in_memory <= self.memory_limit // 2 and (self._on_disk or self._overflow)
        if room or len(self._finished) >= self._batch or (self._finished and not self._in_memory):
            self._wake.set()

    def pause(self) -> None:
        """Stop handing out messages once each worker finishes the one in hand (before `save`)."""
        self._paused = True

    async def save(self) -> int:
        """Stop moving messages and write every message still waiting to disk, in order, for the next start;
        returns how many. Call after the workers have stopped."""
        if self._mover is not None:
            self._stopping = True  # the mover ends after the step in hand, never halfway through a write
            self._stop.set()
            self._wake.set()
            try:
                await asyncio.wait_for(self._mover, STOP_SECONDS)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("inbox: the database did not finish the last step in time")
            self._mover = None
        queued = [queue.get_nowait() for queue in self._queues for _ in range(queue.qsize())]
        waiting = [event_to_json(w.event) for w in queued]
        overflow = [event_to_json(event) for event in self._overflow]
        reread = [w.row_id for w in queued if w.row_id is not None]
        try:
            await self._store.inbox_save(self._platform, waiting, reread + self._finished, self._read_up_to,
                                         overflow, datetime.now(UTC))
        except (StoreError, sqlite3.Error, OSError) as exc:
            log.error("%d message(s) waiting for moderation could not be saved for the next start (%s)",
                      len(waiting) + len(overflow), exc)
            return 0
        saved = len(waiting) + len(overflow) + self._on_disk
        self._overflow.clear()
        self._finished.clear()
        if saved:
            log.info("%d message(s) waiting for moderation saved for the next start", saved)
        return saved

    # -- moving messages between memory and disk -------------------------------------------------------------

    def _enqueue(self, waiting: Waiting) -> None:
        self._in_memory += 1
        self.peak_in_memory = max(self.peak_in_memory, self._in_memory)
        self._queues[shard_of(waiting.event, len(self._queues))].put_nowait(waiting)

    async def _move_forever(self) -> None:
        failures = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self._move()
                failures = 0
            except (StoreError, sqlite3.Error, OSError) as exc:
                # Database failing: messages stay where they are (overflow in memory) until it is back.
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.error("inbox: the database failed (%s); %d message(s) held in memory, retrying in %.1f s", exc,
                          len(self._overflow), delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)  # new arrivals do not cut the wait short
                self._wake.set()

    async def _move(self) -> None:
        if self._finished and (len(self._finished) >= self._batch or not self._in_memory):
            rows = self._finished[:]
            await self._store.inbox_remove(rows)
            del self._finished[:len(rows)]
        while (self._on_disk or self._overflow) and self._in_memory <= self.memory_limit // 2:
            room = min(self.memory_limit - self._in_memory, self._batch)
            if self._on_disk:
                rows = await self._store.inbox_next(self._platform, self._read_up_to, room)
                if not rows:  # fewer rows than counted (removed by hand): nothing more to read
                    self._on_disk = 0
                    continue
                for row_id, event in rows:
                    self._enqueue(Waiting(event_from_json(event), row_id))
                    self._read_up_to = row_id
                self._on_disk -= len(rows)
            else:  # nothing on disk: arrivals held back while full go straight to memory, still in order
                moving, self._overflow = self._overflow[:room], self._overflow[room:]
                for event in moving:
                    self._enqueue(Waiting(event))
        if self._overflow and (self._on_disk or self._in_memory > self.memory_limit // 2):
            writing = self._overflow[:]
            await self._store.inbox_add(self._platform, [event_to_json(e) for e in writing], datetime.now(UTC))
            del self._overflow[:len(writing)]
            self._on_disk += len(writing)
            self.written_to_disk += len(writing)
