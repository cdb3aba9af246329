"""Communities (a Discord guild or Slack workspace) and the settings their committee chose."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime

from bot.models import Community, Platform
from bot.store.base import Db, StoreBase, to_community, ts
from bot.store.tables import communities, insert_for

COMMUNITY_CACHE_SECONDS = 5.0


class CommunityStore(StoreBase):
    """Reading and saving a community's settings."""

    def default_community(self, platform: Platform, community_id: str) -> Community:
        """The settings of a community whose committee never ran setup."""
        return replace(Community(platform=platform, community_id=community_id),
                       retention_days=self.default_retention_days,
                       keep_full_content=self.default_keep_full_content)

    async def get_community(self, platform: Platform, community_id: str) -> Community:
        """A community's settings; the defaults when it was never saved (cached for a few seconds)."""
        key = (platform.value, community_id)
        cached = self._community_cache.get(key)
        if cached is not None and time.monotonic() - cached[0] < COMMUNITY_CACHE_SECONDS:
            return cached[1]
        row = await self._one("SELECT * FROM communities WHERE platform = :p AND community_id = :c",
                              {"p": key[0], "c": key[1]})
        community = to_community(row) if row else self.default_community(platform, community_id)
        if len(self._community_cache) > 10_000:
            self._community_cache.clear()
        self._community_cache[key] = (time.monotonic(), community)
        return community

    async def save_community(self, community: Community, now: datetime) -> None:
        """Create or replace a community's settings."""
        values = {"platform": community.platform.value, "community_id": community.community_id,
                  "name": community.name, "committee_role": community.committee_role,
                  "committee_channel": community.committee_channel, "alert_channel": community.alert_channel,
                  "under18_channels": json.dumps(list(community.under18_channels)),
                  "nudge_mode": community.nudge_mode.value, "retention_days": int(community.retention_days),
                  "keep_full_content": int(community.keep_full_content),
                  "welfare_contact": community.welfare_contact, "welfare_alerts": int(community.welfare_alerts),
                  "updated_at": ts(now)}
        insert = insert_for(self.dialect)(communities).values(values)
        upsert = insert.on_conflict_do_update(
            index_elements=["platform", "community_id"],
            set_={name: insert.excluded[name] for name in values if name not in ("platform", "community_id")})

        async def work(db: Db) -> None:
            await db.run(upsert)

        await self._write(work)
        self._community_cache.pop((community.platform.value, community.community_id), None)

    async def list_communities(self) -> list[Community]:
        """Every community whose settings were saved."""
        rows = await self._rows("SELECT * FROM communities ORDER BY platform, community_id")
        return [to_community(r) for r in rows]
