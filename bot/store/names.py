"""Display names of members, channels and communities, so reports name people and places instead of ids."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from bot.models import Platform
from bot.store.base import StoreBase, ts

NameKind = Literal["member", "channel", "community"]


class NameStore(StoreBase):
    """Names as the platform or an export gave them; the newest name for an id wins."""

    async def save_names(self, platform: Platform, community_id: str, kind: NameKind, names: Mapping[str, str],
                         now: datetime) -> None:
        """Remember `names` (id -> display name) of one kind in one community; empty names are skipped."""
        rows = [(platform.value, community_id, kind, key, name, ts(now)) for key, name in names.items()
                if key and name and name != key]
        if not rows:
            return

        async def work(db: Any) -> None:
            await db.executemany(
                "INSERT INTO names (platform, community_id, kind, id, name, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, community_id, kind, id) DO UPDATE SET name = excluded.name, "
                "updated_at = excluded.updated_at", rows)

        await self._write(work)

    async def names(self, platform: Platform, community_id: str, kind: NameKind) -> dict[str, str]:
        """Every known name of one kind in one community, by id."""
        rows = await self._rows("SELECT id, name FROM names WHERE platform = ? AND community_id = ? AND kind = ?",
                                (platform.value, community_id, kind))
        return {str(r["id"]): str(r["name"]) for r in rows}

    async def named_in(self, member_id: str) -> list[tuple[Platform, str]]:
        """Every (platform, community) keeping a name for this member id (subject access and erasure)."""
        rows = await self._rows("SELECT DISTINCT platform, community_id FROM names WHERE kind = 'member' AND id = ? "
                                "ORDER BY platform, community_id", (member_id,))
        return [(Platform(r["platform"]), str(r["community_id"])) for r in rows]
