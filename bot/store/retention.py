"""Retention and data rights: content purged after each community's period, subject access and erasure."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from bot.models import Incident, Platform
from bot.store.base import StoreBase, to_incident, ts

_PURGE = "content = NULL, excerpt = '', content_purged_at = ?"


class RetentionStore(StoreBase):
    """Purging old content and serving UK GDPR subject access and erasure requests."""

    async def purge_content(self, now: datetime) -> int:
        """Clear content and excerpts older than each community's retention period; metadata stays. Returns rows."""
        stamp = ts(now)

        async def work(db: Any) -> int:
            purged = 0
            saved = await db.execute_fetchall("SELECT platform, community_id, retention_days FROM communities")
            for row in saved:
                cutoff = ts(now - timedelta(days=int(row["retention_days"])))
                cursor = await db.execute(
                    f"UPDATE incidents SET {_PURGE} WHERE platform = ? AND community_id = ? AND created_at < ? "
                    "AND content_purged_at IS NULL", (stamp, row["platform"], row["community_id"], cutoff))
                purged += cursor.rowcount
                # Shadow samples (rules on trial) go at the same age: they are masked, but still words of a message.
                await db.execute(
                    "DELETE FROM shadow_matches WHERE platform = ? AND community_id = ? AND matched_at < ?",
                    (row["platform"], row["community_id"], cutoff))
            default_cutoff = ts(now - timedelta(days=self.default_retention_days))
            await db.execute(
                "DELETE FROM shadow_matches WHERE matched_at < ? AND NOT EXISTS (SELECT 1 FROM communities c WHERE "
                "c.platform = shadow_matches.platform AND c.community_id = shadow_matches.community_id)",
                (default_cutoff,))
            cursor = await db.execute(
                f"UPDATE incidents SET {_PURGE} WHERE created_at < ? AND content_purged_at IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM communities c WHERE c.platform = incidents.platform "
                "AND c.community_id = incidents.community_id)",
                (stamp, default_cutoff))
            return purged + cursor.rowcount

        return await self._write(work)

    async def author_incidents(self, platform: Platform, community_id: str, author_id: str) -> list[Incident]:
        """Every incident about one author in one community, oldest first (subject access)."""
        rows = await self._rows(
            "SELECT * FROM incidents WHERE platform = ? AND community_id = ? AND author_id = ? ORDER BY created_at, id",
            (platform.value, community_id, author_id))
        return [to_incident(r) for r in rows]

    async def author_communities(self, author_id: str) -> list[tuple[Platform, str]]:
        """Every (platform, community) holding incidents by this author id, for requests that name no community."""
        rows = await self._rows("SELECT DISTINCT platform, community_id FROM incidents WHERE author_id = ? "
                                "ORDER BY platform, community_id", (author_id,))
        return [(Platform(r["platform"]), r["community_id"]) for r in rows]

    async def erase_author(self, platform: Platform, community_id: str, author_id: str, now: datetime,
                           actor_id: str = "operator") -> int:
        """Anonymise an author (UK GDPR erasure) in one community; returns the incidents anonymised.

        Their incidents keep clause, rule and dates for the statistics but lose the id, name, content, excerpt
        and link; their id is also replaced where they were a target, in escalations and in feedback.
        """
        pseudonym = f"erased-{secrets.token_hex(6)}"
        stamp = ts(now)
        scope = (platform.value, community_id)

        async def work(db: Any) -> int:
            rows = await db.execute_fetchall(
                "UPDATE incidents SET author_id = ?, author_name = '', content = NULL, excerpt = '', permalink = '', "
                "content_purged_at = coalesce(content_purged_at, ?), "
                # A nudge still in the outbox would go to an id that is no longer theirs: it is not sent.
                "delivery_status = CASE delivery_status WHEN 'pending' THEN 'not_needed' ELSE delivery_status END "
                "WHERE platform = ? AND community_id = ? AND author_id = ? RETURNING id",
                (pseudonym, stamp, *scope, author_id))
            await db.executemany(
                "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) "
                "VALUES (?, ?, 'author erased', 'UK GDPR erasure request', ?)",
                [(int(r["id"]), actor_id, stamp) for r in rows])
            await db.execute(
                "UPDATE incidents SET targets = (SELECT json_group_array(CASE WHEN t.value = ? THEN ? ELSE t.value "
                "END) FROM json_each(incidents.targets) AS t) WHERE platform = ? AND community_id = ? "
                "AND EXISTS (SELECT 1 FROM json_each(incidents.targets) WHERE value = ?)",
                (author_id, pseudonym, *scope, author_id))
            for column in ("author_id", "target_id"):
                await db.execute(
                    f"UPDATE escalations SET {column} = ? WHERE platform = ? AND community_id = ? AND {column} = ?",
                    (pseudonym, *scope, author_id))
            in_community = "(SELECT id FROM incidents WHERE platform = ? AND community_id = ?)"
            await db.execute(
                f"UPDATE feedback SET user_id = ?, note = '' WHERE user_id = ? AND incident_id IN {in_community}",
                (pseudonym, author_id, *scope))
            await db.execute(
                f"UPDATE incident_events SET actor_id = ?, note = '' WHERE actor_id = ? "
                f"AND incident_id IN {in_community}", (pseudonym, author_id, *scope))
            await db.execute("DELETE FROM names WHERE platform = ? AND community_id = ? AND kind = 'member' "
                             "AND id = ?", (*scope, author_id))
            return len(rows)

        return await self._write(work)
