"""Members who refused private messages lately (closed DMs), so no process asks the platform again meanwhile."""

from __future__ import annotations

from datetime import datetime

from bot.models import Platform
from bot.store.base import Db, StoreBase, parse_ts, ts
from bot.store.tables import closed_dms, insert_for


class ClosedDmStore(StoreBase):
    """One row per (platform, community, member) refusing DMs, with the time until which it is believed."""

    async def remember_closed_dms(self, platform: Platform, community_id: str, member_id: str,
                                  until: datetime) -> None:
        """Remember that this member refuses private messages until `until` (a later refusal moves it on)."""
        insert = insert_for(self.dialect)(closed_dms).values(
            platform=platform.value, community_id=community_id, member_id=member_id, until=ts(until))
        upsert = insert.on_conflict_do_update(index_elements=["platform", "community_id", "member_id"],
                                              set_={"until": insert.excluded.until})

        async def work(db: Db) -> None:
            await db.run(upsert)

        await self._write(work)

    async def closed_dms_until(self, platform: Platform, community_id: str, member_id: str,
                               now: datetime) -> datetime | None:
        """Until when this member's DMs are believed closed; None when they are not (or no longer) believed so.
        Expired rows are deleted by the retention purge (`purge_content`)."""
        row = await self._one("SELECT until FROM closed_dms WHERE platform = :p AND community_id = :c "
                              "AND member_id = :m AND until > :now",
                              {"p": platform.value, "c": community_id, "m": member_id, "now": ts(now)})
        return parse_ts(row["until"]) if row is not None else None
