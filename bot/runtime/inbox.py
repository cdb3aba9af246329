"""Messages waiting for moderation: in memory up to a limit, beyond it in a spool file, always in arrival order.

A flood (a raid, or the backlog a platform replays after an outage) can arrive far faster than messages are
moderated. Holding all of it in memory would let anyone who can post grow the bot without bound, so past
`memory_limit` waiting messages the inbox writes new arrivals, a batch at a time, to the spool (`bot/store/spool.py`)
and reads them back, oldest first, as room frees. The spool is written synchronously: while a batch is written the
event loop reads nothing more from the platform, which is what bounds memory however fast messages arrive.
Messages still waiting when the bot stops are saved there too and moderated first on the next start, so a
restart loses nothing. Each shard (one worker) sees its messages in arrival order; a message and its edits always
go to the same shard.
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from pathlib import Path

from bot.models import MessageEvent, Platform
from bot.store.spool import SPOOL_FAILURES, Spool, spool_path

log = logging.getLogger(__name__)

MEMORY_LIMIT = 2_000  # waiting messages kept in memory (about 1 KB each) before new arrivals go to disk
BATCH = 500  # rows written, read back or deleted per transaction


_EVENT_FIELDS = tuple(f.name for f in dataclass_fields(MessageEvent))


def event_to_json(event: MessageEvent) -> str:
    """A message as JSON, for the inbox table."""
    # Every field is a plain value (the targets a tuple of ids): read them directly rather than through
    # dataclasses.asdict, which deep-copies each one, since in a flood every arrival past the memory limit comes here.
    fields = {name: getattr(event, name) for name in _EVENT_FIELDS}
    fields["platform"] = event.platform.value
    fields["created_at"] = event.created_at.isoformat()
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def event_from_json(text: str) -> MessageEvent:
    """The message `event_to_json` wrote."""
    fields = json.loads(text)
    fields["platform"] = Platform(fields["platform"])
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    fields["targets"] = tuple(fields.get("targets", ()))
    fields["target_names"] = tuple((str(key), str(name)) for key, name in fields.get("target_names", ()))
    return MessageEvent(**fields)


def shard_of(event: MessageEvent, shards: int) -> int:
    """The shard a message (and every edit of it) is moderated on: stable across restarts and platforms."""
    return zlib.crc32(event.message_id.encode()) % shards


@dataclass(frozen=True, slots=True)
class Waiting:
    """A message handed to a worker, and its spool row when it was read back from the spool."""

    event: MessageEvent
    row_id: int | None = None


class Inbox:
    """The waiting messages of one platform; `put` never awaits, `get(shard)` hands them to that shard's worker."""

    def __init__(self, db_path: Path, platform: Platform, shards: int, *, memory_limit: int = MEMORY_LIMIT,
                 batch: int = BATCH, spool_tag: str = "") -> None:
        self.spool_path = spool_path(Path(db_path), spool_tag)
        self._platform = platform
        self._spool: Spool | None = None
        self._queues: list[asyncio.Queue[Waiting]] = [asyncio.Queue() for _ in range(shards)]
        self.memory_limit = max(2, memory_limit)
        self._batch = max(1, min(batch, self.memory_limit // 2))
        self._in_memory = 0  # queued in memory or being moderated
        self._overflow: list[str] = []  # arrivals (as JSON) behind a full memory, fewer than a batch, or held
        self._on_disk = 0  # written to the spool, not yet read back
        self._read_up_to = 0  # the highest row id read back
        self._finished: list[int] = []  # rows moderated, to delete
        self._paused = False
        self._failing = False  # the spool failed: arrivals are held in memory until a write succeeds
        self.written_to_disk = 0  # since start: for health checks and benchmarks
        self.peak_in_memory = 0
        self.peak_overflow = 0  # arrivals held in memory at once, not yet in the spool

    @property
    def backlog(self) -> int:
        """Messages waiting or being moderated, in memory and on disk."""
        return self._in_memory + len(self._overflow) + self._on_disk

    @property
    def paused(self) -> bool:
        """True once `pause` was called: workers finish the message in hand and take no more."""
        return self._paused

    async def start(self) -> None:
        """Open the spool and count the messages a previous run left waiting (moderated first)."""
        try:
            self._spool = await asyncio.to_thread(Spool, self.spool_path, self._platform)
            self._on_disk = self._spool.count()
        except SPOOL_FAILURES as exc:
            log.error("inbox: cannot open the spool %s (%s); a flood is held in memory", self.spool_path, exc)
            self._spool = None
        if self._on_disk:
            log.info("%d message(s) left waiting by the last run: moderating them first", self._on_disk)
            self._refill()

    def put(self, event: MessageEvent) -> None:
        """Queue a message for moderation (no await: callers keep the platform's order). Past the memory limit
        it goes to the spool, a batch at a time, synchronously."""
        if self._overflow or self._on_disk or self._in_memory >= self.memory_limit:
            self._overflow.append(event_to_json(event))  # behind everything waiting on disk
            self.peak_overflow = max(self.peak_overflow, len(self._overflow))
            if len(self._overflow) >= self._batch:
                self._write_overflow()
            if self._in_memory <= self.memory_limit // 2:
                self._refill()
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
            if len(self._finished) >= self._batch or not self._in_memory:
                self._remove_finished()
        if self._in_memory <= self.memory_limit // 2 and (self._on_disk or self._overflow):
            self._refill()

    def pause(self) -> None:
        """Stop handing out messages once each worker finishes the one in hand (before `save`)."""
        self._paused = True

    async def save(self) -> int:
        """Write every message still waiting to the spool, in order, for the next start; returns how many. Call
        after the workers have stopped."""
        queued = [queue.get_nowait() for queue in self._queues for _ in range(queue.qsize())]
        waiting = [event_to_json(w.event) for w in queued]
        reread = [w.row_id for w in queued if w.row_id is not None]
        saved = len(waiting) + len(self._overflow) + self._on_disk
        spool, self._spool = self._spool, None
        if spool is None:
            if saved:
                log.error("%d message(s) waiting for moderation could not be saved: no spool", saved)
            return 0
        try:
            spool.save(waiting, reread + self._finished, self._read_up_to, self._overflow)
        except SPOOL_FAILURES as exc:
            log.error("%d message(s) waiting for moderation could not be saved for the next start (%s)",
                      len(waiting) + len(self._overflow), exc)
            return 0
        finally:
            spool.close()
        self._overflow.clear()
        self._finished.clear()
        if saved:
            log.info("%d message(s) waiting for moderation saved for the next start", saved)
        return saved

    # -- moving messages between memory and the spool ---------------------------------------------------------

    def _enqueue(self, waiting: Waiting) -> None:
        self._in_memory += 1
        self.peak_in_memory = max(self.peak_in_memory, self._in_memory)
        self._queues[shard_of(waiting.event, len(self._queues))].put_nowait(waiting)

    def _write_overflow(self) -> None:
        if self._spool is None:
            return
        try:
            self._spool.add(self._overflow)
        except SPOOL_FAILURES as exc:
            if not self._failing:
                log.error("inbox: the spool failed (%s); %d message(s) held in memory until it works again", exc,
                          len(self._overflow))
            self._failing = True
            return
        if self._failing:
            log.warning("inbox: the spool works again")
        self._failing = False
        self._on_disk += len(self._overflow)
        self.written_to_disk += len(self._overflow)
        self._overflow.clear()

    def _refill(self) -> None:
        """Read waiting messages back, oldest first, until memory is over half full or nothing waits."""
        while (self._on_disk or self._overflow) and self._in_memory <= self.memory_limit // 2:
            room = min(self.memory_limit - self._in_memory, self._batch)
            if self._on_disk and self._spool is not None:
                try:
                    rows = self._spool.next(self._read_up_to, room)
                except SPOOL_FAILURES as exc:
                    log.error("inbox: cannot read the spool (%s); trying again with the next message", exc)
                    return
                if not rows:  # fewer rows than counted (removed by hand): nothing more to read
                    self._on_disk = 0
                    continue
                for row_id, event in rows:
                    self._enqueue(Waiting(event_from_json(event), row_id))
                    self._read_up_to = row_id
                self._on_disk -= len(rows)
            elif self._on_disk:  # no spool (it failed to open): nothing can be read
                return
            else:  # nothing on disk: arrivals held back go straight to memory, still in order
                moving, self._overflow = self._overflow[:room], self._overflow[room:]
                for event in moving:
                    self._enqueue(Waiting(event_from_json(event)))

    def _remove_finished(self) -> None:
        if self._spool is None:
            return
        try:
            self._spool.remove(self._finished)
        except SPOOL_FAILURES as exc:
            log.warning("inbox: could not delete moderated messages from the spool (%s); later", exc)
            return
        self._finished.clear()
