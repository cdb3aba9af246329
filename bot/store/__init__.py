"""The incident store: one long-lived aiosqlite connection in WAL mode; the only code that writes SQL."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.errors import NudgebotError
from bot.models import (
    DeliveryStatus,
    Incident,
    IncidentQuery,
    IncidentStatus,
    NewIncident,
    Platform,
    Severity,
)
from bot.store.migrate import Migration, MigrationError, MigrationStatus, available, status, upgrade

__all__ = ["MigrationError", "Store", "StoreError", "migrate_database", "migration_status"]

log = logging.getLogger(__name__)
T = TypeVar("T")
_BUSY_TIMEOUT_MS = 5_000
_LOCK_RETRIES = 8


class StoreError(NudgebotError):
    """The database cannot be used (unreadable file, locked beyond every retry)."""


def _connect_sync(path: Path) -> sqlite3.Connection:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the database {path}: {exc} (check NUDGEBOT_DB)") from None
    connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    return connection


def migrate_database(path: Path, migrations: list[Migration] | None = None) -> list[Migration]:
    """Bring the database file up to date (`nudgebot db upgrade`); return the migrations applied."""
    connection = _connect_sync(path)
    try:
        return upgrade(connection, available() if migrations is None else migrations)
    finally:
        connection.close()


def migration_status(path: Path, migrations: list[Migration] | None = None) -> MigrationStatus:
    """What is applied and what is pending (`nudgebot db status`); refuses a newer or altered database."""
    connection = _connect_sync(path)
    try:
        return status(connection, available() if migrations is None else migrations)
    finally:
        connection.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _incident(row: aiosqlite.Row) -> Incident:
    return Incident(
        id=row["id"], platform=Platform(row["platform"]), community_id=row["community_id"],
        channel_id=row["channel_id"], message_id=row["message_id"], revision=row["revision"],
        author_id=row["author_id"], author_name=row["author_name"], targets=tuple(json.loads(row["targets"])),
        clauses=tuple(json.loads(row["clauses"])), rules=tuple(json.loads(row["rules"])),
        severity=Severity(row["severity"]), excerpt=row["excerpt"], content=row["content"],
        created_at=datetime.fromisoformat(row["created_at"]), status=IncidentStatus(row["status"]),
        delivery_status=DeliveryStatus(row["delivery_status"]), delivery_reason=row["delivery_reason"],
        permalink=row["permalink"],
    )


class Store:
    """Async access to the incident database. Build with `await Store.open(path)`; close when done."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._write_lock = asyncio.Lock()  # one writer at a time on the one connection: short transactions

    @classmethod
    async def open(cls, path: Path, *, migrate: bool = True, busy_timeout_ms: int = _BUSY_TIMEOUT_MS) -> Store:
        """Open (creating if needed) and migrate the database; refuses a newer or altered database."""
        if migrate:
            await asyncio.to_thread(migrate_database, path)
        else:
            pending = (await asyncio.to_thread(migration_status, path)).pending
            if pending:
                raise StoreError(f"the database {path} needs {len(pending)} migration(s): run `nudgebot db upgrade`")
        try:
            connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the database {path}: {exc} (check NUDGEBOT_DB)") from None
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await connection.execute("PRAGMA synchronous = NORMAL")
        return cls(connection, path)

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

    async def _retrying(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run a write, retrying with backoff while the database is locked by another process."""
        for attempt in range(_LOCK_RETRIES):
            try:
                return await work()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                delay = min(2.0, 0.05 * 2**attempt) * (0.5 + random.random())
                log.warning("database locked; retrying", extra={"attempt": attempt + 1, "delay": round(delay, 3)})
                await asyncio.sleep(delay)
        raise StoreError(f"the database {self.path} stayed locked through {_LOCK_RETRIES} retries")

    async def record_incident(self, new: NewIncident) -> tuple[int, bool]:
        """Commit an incident; (id, True) when new, (existing id, False) when this message revision exists."""

        async def work() -> tuple[int, bool]:
            async with self._write_lock:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    cursor = await self._db.execute(
                        """INSERT INTO incidents (platform, community_id, channel_id, message_id, revision, permalink,
                               author_id, author_name, targets, clauses, primary_clause, rules, severity, excerpt,
                               content, created_at, delivery_status)
                           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                           ON CONFLICT (platform, community_id, message_id, revision) DO NOTHING""",
                        (new.platform.value, new.community_id, new.channel_id, new.message_id, new.revision,
                         new.permalink, new.author_id, new.author_name, json.dumps(list(new.targets)),
                         json.dumps(list(new.clauses)), new.clauses[0] if new.clauses else "",
                         json.dumps(list(new.rules)), new.severity.value, new.excerpt, new.content,
                         new.created_at.isoformat(timespec="microseconds"), new.delivery_status.value))
                    created = cursor.rowcount == 1
                    if created:
                        incident_id = int(cursor.lastrowid or 0)
                        await self._db.execute(
                            "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) "
                            "VALUES (?, 'nudgebot', 'recorded', ?, ?)",
                            (incident_id, ", ".join(new.rules), _now()))
                    else:
                        row = await (await self._db.execute(
                            "SELECT id FROM incidents WHERE platform = ? AND community_id = ? AND message_id = ? "
                            "AND revision = ?",
                            (new.platform.value, new.community_id, new.message_id, new.revision))).fetchone()
                        incident_id = int(row["id"]) if row else 0
                    await self._db.execute("COMMIT")
                    return incident_id, created
                except BaseException:
                    if self._db.in_transaction:
                        await self._db.execute("ROLLBACK")
                    raise

        return await self._retrying(work)

    async def get_incident(self, incident_id: int) -> Incident | None:
        """One incident by id."""
        row = await (await self._db.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,))).fetchone()
        return _incident(row) if row else None

    async def set_delivery(self, incident_id: int, delivery: DeliveryStatus, reason: str = "") -> None:
        """Record what happened to the nudge (the outbox marks); an audit event goes with it."""

        async def work() -> None:
            async with self._write_lock:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    await self._db.execute(
                        "UPDATE incidents SET delivery_status = ?, delivery_reason = ?, "
                        "delivery_attempts = delivery_attempts + 1 WHERE id = ?",
                        (delivery.value, reason[:500], incident_id))
                    await self._db.execute(
                        "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) "
                        "VALUES (?, 'nudgebot', ?, ?, ?)",
                        (incident_id, f"nudge {delivery.value}", reason[:500], _now()))
                    await self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        await self._db.execute("ROLLBACK")
                    raise

        await self._retrying(work)

    async def pending_deliveries(self, platform: Platform | None = None) -> list[Incident]:
        """Incidents whose nudge has not been delivered yet (the outbox), oldest first."""
        sql = "SELECT * FROM incidents WHERE delivery_status = 'pending'"
        params: list[Any] = []
        if platform is not None:
            sql += " AND platform = ?"
            params.append(platform.value)
        rows = await (await self._db.execute(sql + " ORDER BY id", params)).fetchall()
        return [_incident(r) for r in rows]

    async def list_incidents(self, query: IncidentQuery) -> list[Incident]:
        """The committee's list: newest first, filtered; every value is a bound parameter."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("platform", query.platform.value if query.platform else None),
                              ("community_id", query.community_id), ("status", query.status),
                              ("primary_clause", query.clause), ("author_id", query.author_id),
                              ("channel_id", query.channel_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(str(value))
        if query.since is not None:
            clauses.append("created_at >= ?")
            params.append(query.since.isoformat(timespec="microseconds"))
        if query.until is not None:
            clauses.append("created_at < ?")
            params.append(query.until.isoformat(timespec="microseconds"))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        params.extend([max(1, min(query.limit, 1000)), max(0, query.offset)])
        rows = await (await self._db.execute(
            # Only fixed column names go into the text; every value is a bound parameter.
            f"SELECT * FROM incidents {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
            params)).fetchall()
        return [_incident(r) for r in rows]

    async def count_incidents(self) -> int:
        """How many incidents there are in all."""
        row = await (await self._db.execute("SELECT COUNT(*) AS n FROM incidents")).fetchone()
        return int(row["n"]) if row else 0
