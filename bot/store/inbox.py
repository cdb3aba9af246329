"""The inbox table: messages waiting for moderation that the bot could not keep in memory (see bot.inbox)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.models import Platform
from bot.store.base import StoreBase, ts


class InboxStore(StoreBase):
    """Appending, reading in order and deleting waiting messages."""

    async def inbox_add(self, platform: Platform, events: Sequence[str], now: datetime) -> None:
        """Append messages (JSON) in the order given, in one transaction."""
        rows = [(platform.value, event, ts(now)) for event in events]

        async def work(db: Any) -> None:
            await db.executemany("INSERT INTO inbox (platform, event, received_at) VALUES (?, ?, ?)", rows)

        await self._write(work)

    async def inbox_next(self, platform: Platform, after_id: int, limit: int) -> list[tuple[int, str]]:
        """Up to `limit` waiting messages with an id above `after_id`, oldest first, as (id, JSON)."""
        rows = await self._rows("SELECT id, event FROM inbox WHERE platform = ? AND id > ? ORDER BY id LIMIT ?",
                                (platform.value, after_id, limit))
        return [(int(r["id"]), str(r["event"])) for r in rows]

    async def inbox_remove(self, ids: Sequence[int]) -> None:
        """Delete moderated messages (their content is overwritten on disk: secure_delete is on)."""
        batch = [(row_id,) for row_id in ids]

        async def work(db: Any) -> None:
            await db.executemany("DELETE FROM inbox WHERE id = ?", batch)

        await self._write(work)

    async def inbox_save(self, platform: Platform, first: Sequence[str], remove_ids: Sequence[int], after_id: int,
                         last: Sequence[str], now: datetime) -> None:
        """At stop, in one transaction: delete `remove_ids` (moderated, or read back and now in `first`), then
        leave the inbox in arrival order: `first` (what waited in memory), the rows above `after_id` that were
        never read back, then `last` (arrivals not yet written)."""
        removed = [(row_id,) for row_id in remove_ids]

        async def work(db: Any) -> None:
            await db.executemany("DELETE FROM inbox WHERE id = ?", removed)
            unread = await db.execute_fetchall(
                "SELECT event, received_at FROM inbox WHERE platform = ? AND id > ? ORDER BY id",
                (platform.value, after_id))
            await db.execute("DELETE FROM inbox WHERE platform = ? AND id > ?", (platform.value, after_id))
            rows = ([(platform.value, event, ts(now)) for event in first]
                    + [(platform.value, r["event"], r["received_at"]) for r in unread]
                    + [(platform.value, event, ts(now)) for event in last])
            await db.executemany("INSERT INTO inbox (platform, event, received_at) VALUES (?, ?, ?)", rows)

        await self._write(work)

    async def inbox_count(self, platform: Platform) -> int:
        """How many messages are waiting on disk."""
        row = await self._one("SELECT count(*) AS n FROM inbox WHERE platform = ?", (platform.value,))
        return int(row["n"]) if row else 0
