"""Escalations: repeated hostility from one author toward one target, grouped for the committee (4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.models import Escalation, Platform
from bot.store.base import StoreBase, to_escalation, ts

ESCALATION_STATUSES = ("open", "reviewed", "closed")


class EscalationStore(StoreBase):
    """Opening, extending and listing escalations."""

    async def _linked(self, db: aiosqlite.Connection, escalation_id: int) -> tuple[int, ...]:
        rows = await db.execute_fetchall(
            "SELECT incident_id FROM escalation_incidents WHERE escalation_id = ? ORDER BY incident_id",
            (escalation_id,))
        return tuple(int(r["incident_id"]) for r in rows)

    async def open_escalation(self, platform: Platform, community_id: str, author_id: str, target_id: str,
                              incident_ids: Sequence[int], now: datetime) -> tuple[Escalation, bool]:
        """Open an escalation for the pair, or extend the open one with these incidents; (escalation, created)."""

        async def work(db: Any) -> tuple[Escalation, bool]:
            rows = await db.execute_fetchall(
                "SELECT * FROM escalations WHERE platform = ? AND community_id = ? AND author_id = ? "
                "AND target_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1",
                (platform.value, community_id, author_id, target_id))
            created = not rows
            if created:
                rows = await db.execute_fetchall(
                    "INSERT INTO escalations (platform, community_id, author_id, target_id, status, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?) RETURNING *",
                    (platform.value, community_id, author_id, target_id, ts(now), ts(now)))
            else:
                await db.execute("UPDATE escalations SET updated_at = ? WHERE id = ?", (ts(now), rows[0]["id"]))
            escalation_id = int(rows[0]["id"])
            await db.executemany(
                "INSERT OR IGNORE INTO escalation_incidents (escalation_id, incident_id) VALUES (?, ?)",
                [(escalation_id, int(i)) for i in incident_ids])
            return to_escalation(rows[0], await self._linked(db, escalation_id)), created

        return await self._write(work)

    async def get_escalation(self, escalation_id: int) -> Escalation | None:
        """One escalation with its incidents, or None."""
        row = await self._one("SELECT * FROM escalations WHERE id = ?", (escalation_id,))
        return to_escalation(row, await self._linked(self._db, escalation_id)) if row else None

    async def list_escalations(self, platform: Platform, community_id: str,
                               status: str | None = None) -> list[Escalation]:
        """A community's escalations, newest first, optionally only those in one status."""
        sql = "SELECT * FROM escalations WHERE platform = ? AND community_id = ?"
        params: list[Any] = [platform.value, community_id]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        rows = await self._rows(sql + " ORDER BY created_at DESC, id DESC", params)
        return [to_escalation(r, await self._linked(self._db, int(r["id"]))) for r in rows]

    async def set_escalation_status(self, escalation_id: int, status: str, now: datetime) -> Escalation | None:
        """Mark an escalation reviewed or closed (a closed pair may open a new one); None when missing."""
        if status not in ESCALATION_STATUSES:
            raise ValueError(f"escalation status {status!r} is not one of {', '.join(ESCALATION_STATUSES)}")

        async def work(db: Any) -> Escalation | None:
            rows = await db.execute_fetchall(
                "UPDATE escalations SET status = ?, updated_at = ? WHERE id = ? RETURNING *",
                (status, ts(now), escalation_id))
            return to_escalation(rows[0], await self._linked(db, escalation_id)) if rows else None

        return await self._write(work)
