"""Display names of members, channels and communities, so reports name people and places instead of ids."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from bot.models import Platform
from bot.store.base import Db, StoreBase, ts
from bot.store.tables import insert_for
from bot.store.tables import names as names_table

NameKind = Literal["member", "channel", "community"]


class NameStore(StoreBase):
    """Names as the platform or an export gave them; the newest name for an id wins."""

    async def save_names(self, platform: Platform, community_id: str, kind: NameKind, names: Mapping[str, str],
                         now: datetime) -> None:
        """Remember `names` (id -> display name) of one kind in one community; empty names are skipped."""
        rows = [{"platform": platform.value, "community_id": community_id, "kind": kind, "id": key, "name": name,
                 "updated_at": ts(now)} for key, name in names.items() if key and name and name != key]
        if not rows:
            return

        insert = insert_for(self.dialect)(names_table)
        upsert = insert.on_conflict_do_update(
            index_elements=["platform", "community_id", "kind", "id"],
            set_={"name": insert.excluded.name, "updated_at": insert.excluded.updated_at})

        async def work(db: Db) -> None:
            await db.many(upsert, rows)

        await self._write(work)

    async def names(self, platform: Platform, community_id: str, kind: NameKind) -> dict[str, str]:
        """Every known name of one kind in one community, by id."""
        rows = await self._rows("SELECT id, name FROM names WHERE platform = :p AND community_id = :c AND kind = :k",
                                {"p": platform.value, "c": community_id, "k": kind})
        return {str(r["id"]): str(r["name"]) for r in rows}

    async def named_in(self, member_id: str) -> list[tuple[Platform, str]]:
        """Every (platform, community) keeping a name for this member id (subject access and erasure)."""
        rows = await self._rows("SELECT DISTINCT platform, community_id FROM names WHERE kind = 'member' AND id = :m "
                                "ORDER BY platform, community_id", {"m": member_id})
        return [(Platform(r["platform"]), str(r["community_id"])) for r in rows]
