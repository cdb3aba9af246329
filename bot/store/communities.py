"""Communities (a Discord guild or Slack workspace) and the settings their committee chose."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.models import Community, Platform
from bot.store.base import StoreBase, to_community, ts

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
        row = await self._one("SELECT * FROM communities WHERE platform = ? AND community_id = ?", key)
        community = to_community(row) if row else self.default_community(platform, community_id)
        if len(self._community_cache) > 10_000:
            self._community_cache.clear()
        self._community_cache[key] = (time.monotonic(), community)
        return community

    async def save_community(self, community: Community, now: datetime) -> None:
        """Create or replace a community's settings."""

        async def work(db: Any) -> None:
            await db.execute(
                """INSERT INTO communities (platform, community_id, name, committee_role, committee_channel,
                       alert_channel, under18_channels, nudge_mode, retention_days, keep_full_content,
                       welfare_contact, welfare_alerts, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (platform, community_id) DO UPDATE SET name = excluded.name,
                       committee_role = excluded.committee_role, committee_channel = excluded.committee_channel,
                       alert_channel = excluded.alert_channel, under18_channels = excluded.under18_channels,
                       nudge_mode = excluded.nudge_mode, retention_days = excluded.retention_days,
                       keep_full_content = excluded.keep_full_content, welfare_contact = excluded.welfare_contact,
                       welfare_alerts = excluded.welfare_alerts, updated_at = excluded.updated_at""",
                (community.platform.value, community.community_id, community.name, community.committee_role,
                 community.committee_channel, community.alert_channel, json.dumps(list(community.under18_channels)),
                 community.nudge_mode.value, int(community.retention_days), int(community.keep_full_content),
                 community.welfare_contact, int(community.welfare_alerts), ts(now)))

        await self._write(work)
        self._community_cache.pop((community.platform.value, community.community_id), None)

    async def list_communities(self) -> list[Community]:
        """Every community whose settings were saved."""
        rows = await self._rows("SELECT * FROM communities ORDER BY platform, community_id")
        return [to_community(r) for r in rows]
