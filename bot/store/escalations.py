"""Escalations: repeated hostility from one author toward one target, grouped for the committee (4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.models import Escalation, Platform
from bot.store.base import Db, StoreBase, to_escalation, ts
from bot.store.tables import escalation_incidents, escalations, insert_for

ESCALATION_STATUSES = ("open", "reviewed", "closed")


class EscalationStore(StoreBase):
    """Opening, extending and listing escalations."""

    @staticmethod
    async def _linked(db: Db, escalation_id: int) -> tuple[int, ...]:
        rows = await db.fetch(
            "SELECT incident_id FROM escalation_incidents WHERE escalation_id = :id ORDER BY incident_id",
            {"id": escalation_id})
        return tuple(int(r["incident_id"]) for r in rows)

    async def open_escalation(self, platform: Platform, community_id: str, author_id: str, target_id: str,
                              incident_ids: Sequence[int], now: datetime) -> tuple[Escalation, bool]:
        """Open an escalation for the pair, or extend the open one with these incidents; (escalation, created).

        A pair has at most one open escalation (a partial unique index): of two processes opening one at once,
        one creates it and the other extends it, so the committee is alerted once.
        """
        pair = {"platform": platform.value, "community_id": community_id, "author_id": author_id,
                "target_id": target_id}
        insert = (insert_for(self.dialect)(escalations)
                  .values(**pair, status="open", created_at=ts(now), updated_at=ts(now))
                  .on_conflict_do_nothing(index_elements=["platform", "community_id", "author_id", "target_id"],
                                          index_where=escalations.c.status == "open")
                  .returning(*escalations.c))
        link = insert_for(self.dialect)(escalation_incidents).on_conflict_do_nothing(
            index_elements=["escalation_id", "incident_id"])

        async def work(db: Db) -> tuple[Escalation, bool]:
            rows = await db.fetch(insert)
            created = bool(rows)
            if not created:
                rows = await db.fetch(
                    "UPDATE escalations SET updated_at = :now WHERE platform = :platform "
                    "AND community_id = :community_id AND author_id = :author_id AND target_id = :target_id "
                    "AND status = 'open' RETURNING *", {**pair, "now": ts(now)})
            escalation_id = int(rows[0]["id"])
            await db.many(link, [{"escalation_id": escalation_id, "incident_id": int(i)} for i in incident_ids])
            return to_escalation(rows[0], await self._linked(db, escalation_id)), created

        return await self._write(work)

    async def get_escalation(self, escalation_id: int) -> Escalation | None:
        """One escalation with its incidents, or None."""
        row = await self._one("SELECT * FROM escalations WHERE id = :id", {"id": escalation_id})
        return to_escalation(row, await self._linked(self._db, escalation_id)) if row else None

    async def list_escalations(self, platform: Platform, community_id: str,
                               status: str | None = None) -> list[Escalation]:
        """A community's escalations, newest first, optionally only those in one status."""
        sql = "SELECT * FROM escalations WHERE platform = :p AND community_id = :c"
        params: dict[str, Any] = {"p": platform.value, "c": community_id}
        if status is not None:
            sql += " AND status = :status"
            params["status"] = status
        rows = await self._rows(sql + " ORDER BY created_at DESC, id DESC", params)
        return [to_escalation(r, await self._linked(self._db, int(r["id"]))) for r in rows]

    async def set_escalation_status(self, escalation_id: int, status: str, now: datetime) -> Escalation | None:
        """Mark an escalation reviewed or closed (a closed pair may open a new one); None when missing."""
        if status not in ESCALATION_STATUSES:
            raise ValueError(f"escalation status {status!r} is not one of {', '.join(ESCALATION_STATUSES)}")

        async def work(db: Db) -> Escalation | None:
            rows = await db.fetch(
                "UPDATE escalations SET status = :status, updated_at = :now WHERE id = :id RETURNING *",
                {"status": status, "now": ts(now), "id": escalation_id})
            return to_escalation(rows[0], await self._linked(db, escalation_id)) if rows else None

        return await self._write(work)
