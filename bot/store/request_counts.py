"""Discord's invalid answers counted per minute for every process sharing the store, so that together they stay
below the limit Discord applies to their one address (`bot.request_budget`)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.store.base import Db, StoreBase
from bot.store.tables import insert_for, invalid_requests


class InvalidRequestStore(StoreBase):
    """One row per minute (Unix time // 60): the invalid answers all processes saw in it."""

    async def add_invalid_requests(self, counts: Mapping[int, int], since_minute: int) -> int:
        """Add this process's counts (minute -> answers) and return everyone's total from `since_minute` on.

        One short transaction when there is something to add (rows before `since_minute` are deleted in it, so
        the table holds one window), a single read when there is not.
        """
        total = "SELECT COALESCE(SUM(answers), 0) AS n FROM invalid_requests WHERE minute >= :since"
        added = {minute: n for minute, n in counts.items() if n > 0}
        if not added:
            row = await self._one(total, {"since": since_minute})
            return int(row["n"]) if row is not None else 0
        insert = insert_for(self.dialect)(invalid_requests)
        upsert = insert.on_conflict_do_update(
            index_elements=["minute"], set_={"answers": invalid_requests.c.answers + insert.excluded.answers})

        async def work(db: Db) -> int:
            await db.many(upsert, [{"minute": minute, "answers": n} for minute, n in sorted(added.items())])
            await db.run("DELETE FROM invalid_requests WHERE minute < :since", {"since": since_minute})
            rows = await db.fetch(total, {"since": since_minute})
            return int(rows[0]["n"]) if rows else 0

        return await self._write(work)
