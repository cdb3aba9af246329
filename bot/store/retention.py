"""Retention and data rights: content purged after each community's period, subject access and erasure."""

from __future__ import annotations

import json
import os
import secrets
from datetime import date, datetime, timedelta

from bot.models import Incident, Platform
from bot.store.base import Db, StoreBase, now_ts, to_incident, ts
from bot.store.incidents import like_json_item
from bot.store.tables import daily_jobs, insert_for

_PURGE = "content = NULL, excerpt = '', content_purged_at = :stamp"


class RetentionStore(StoreBase):
    """Purging old content and serving UK GDPR subject access and erasure requests."""

    async def claim_daily_purge(self, day: date, owner: str = "") -> bool:
        """Claim the purge of `day` (UTC) for this process; False when another process already claimed it.

        One row per day, inserted if absent: of several processes starting the daily purge at once, exactly
        one inserts it (on SQLite and PostgreSQL alike) and purges; the others skip that day.
        """
        insert = (insert_for(self.dialect)(daily_jobs)
                  .values(job="purge", day=day.isoformat(), claimed_by=owner or f"pid-{os.getpid()}",
                          claimed_at=now_ts())
                  .on_conflict_do_nothing(index_elements=["job", "day"]).returning(daily_jobs.c.day))

        async def work(db: Db) -> bool:
            return bool(await db.fetch(insert))

        return await self._write(work)

    async def release_daily_purge(self, day: date) -> None:
        """Give back a day's purge claim whose purge failed, so a later run (of any process) purges that day."""

        async def work(db: Db) -> None:
            await db.run("DELETE FROM daily_jobs WHERE job = 'purge' AND day = :day", {"day": day.isoformat()})

        await self._write(work)

    async def forget_platform(self, platform: Platform) -> None:
        """Delete every row of one platform (the demo's, before it replays its week on a shared server)."""

        async def work(db: Db) -> None:
            for table in ("incidents", "escalations", "shadow_matches", "communities", "names", "closed_dms"):
                # Only table names are text here; events, links and feedback go with their incidents (cascade).
                await db.run(f"DELETE FROM {table} WHERE platform = :p", {"p": platform.value})

        await self._write(work)

    async def purge_content(self, now: datetime) -> int:
        """Clear content and excerpts older than each community's retention period; metadata stays. Returns rows."""
        stamp = ts(now)

        async def work(db: Db) -> int:
            purged = 0
            saved = await db.fetch("SELECT platform, community_id, retention_days FROM communities")
            for row in saved:
                scope = {"p": row["platform"], "c": row["community_id"],
                         "cutoff": ts(now - timedelta(days=int(row["retention_days"])))}
                purged += await db.run(
                    f"UPDATE incidents SET {_PURGE} WHERE platform = :p AND community_id = :c "
                    "AND created_at < :cutoff AND content_purged_at IS NULL", {**scope, "stamp": stamp})
                # Shadow samples (rules on trial) go at the same age: they are masked, but still words of a message.
                await db.run("DELETE FROM shadow_matches WHERE platform = :p AND community_id = :c "
                             "AND matched_at < :cutoff", scope)
            # Members who refused DMs are remembered for a day only (bot.closed_dms): their ids go once expired.
            await db.run("DELETE FROM closed_dms WHERE until <= :now", {"now": stamp})
            default_cutoff = ts(now - timedelta(days=self.default_retention_days))
            await db.run(
                "DELETE FROM shadow_matches WHERE matched_at < :cutoff AND NOT EXISTS (SELECT 1 FROM communities c "
                "WHERE c.platform = shadow_matches.platform AND c.community_id = shadow_matches.community_id)",
                {"cutoff": default_cutoff})
            return purged + await db.run(
                f"UPDATE incidents SET {_PURGE} WHERE created_at < :cutoff AND content_purged_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM communities c WHERE c.platform = incidents.platform "
                "AND c.community_id = incidents.community_id)", {"stamp": stamp, "cutoff": default_cutoff})

        return await self._write(work)

    async def author_incidents(self, platform: Platform, community_id: str, author_id: str) -> list[Incident]:
        """Every incident about one author in one community, oldest first (subject access)."""
        rows = await self._rows(
            "SELECT * FROM incidents WHERE platform = :p AND community_id = :c AND author_id = :a "
            "ORDER BY created_at, id", {"p": platform.value, "c": community_id, "a": author_id})
        return [to_incident(r) for r in rows]

    async def author_communities(self, author_id: str) -> list[tuple[Platform, str]]:
        """Every (platform, community) holding incidents by this author id, for requests that name no community."""
        rows = await self._rows("SELECT DISTINCT platform, community_id FROM incidents WHERE author_id = :a "
                                "ORDER BY platform, community_id", {"a": author_id})
        return [(Platform(r["platform"]), r["community_id"]) for r in rows]

    async def erase_author(self, platform: Platform, community_id: str, author_id: str, now: datetime,
                           actor_id: str = "operator") -> int:
        """Anonymise an author (UK GDPR erasure) in one community; returns the incidents anonymised.

        Their incidents keep clause, rule and dates for the statistics but lose the id, name, content, excerpt
        and link; their id is also replaced where they were a target, in escalations and in feedback.
        """
        pseudonym = f"erased-{secrets.token_hex(6)}"
        stamp = ts(now)
        scope = {"p": platform.value, "c": community_id, "a": author_id, "pseudonym": pseudonym}

        async def work(db: Db) -> int:
            rows = await db.fetch(
                "UPDATE incidents SET author_id = :pseudonym, author_name = '', content = NULL, excerpt = '', "
                "permalink = '', content_purged_at = coalesce(content_purged_at, :stamp), "
                # A nudge still in the outbox would go to an id that is no longer theirs: it is not sent.
                "delivery_status = CASE delivery_status WHEN 'pending' THEN 'not_needed' ELSE delivery_status END "
                "WHERE platform = :p AND community_id = :c AND author_id = :a RETURNING id", {**scope, "stamp": stamp})
            await db.many(
                "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) "
                "VALUES (:id, :actor, 'author erased', 'UK GDPR erasure request', :stamp)",
                [{"id": int(r["id"]), "actor": actor_id, "stamp": stamp} for r in rows])
            # Where they were a target: the JSON lists are rewritten here (LIKE narrows, the exact test is ours).
            targeted = await db.fetch(
                "SELECT id, targets FROM incidents WHERE platform = :p AND community_id = :c "
                "AND targets LIKE :target ESCAPE '\\'", {**scope, "target": like_json_item(author_id)})
            await db.many("UPDATE incidents SET targets = :targets WHERE id = :id", [
                {"id": r["id"], "targets": json.dumps([pseudonym if t == author_id else t
                                                       for t in json.loads(r["targets"])])}
                for r in targeted if author_id in json.loads(r["targets"])])
            for column in ("author_id", "target_id"):
                await db.run(f"UPDATE escalations SET {column} = :pseudonym WHERE platform = :p "
                             f"AND community_id = :c AND {column} = :a", scope)
            in_community = "(SELECT id FROM incidents WHERE platform = :p AND community_id = :c)"
            await db.run(f"UPDATE feedback SET user_id = :pseudonym, note = '' WHERE user_id = :a "
                         f"AND incident_id IN {in_community}", scope)
            await db.run(f"UPDATE incident_events SET actor_id = :pseudonym, note = '' WHERE actor_id = :a "
                         f"AND incident_id IN {in_community}", scope)
            await db.run("DELETE FROM names WHERE platform = :p AND community_id = :c AND kind = 'member' "
                         "AND id = :a", scope)
            await db.run("DELETE FROM closed_dms WHERE platform = :p AND community_id = :c AND member_id = :a", scope)
            return len(rows)

        return await self._write(work)
