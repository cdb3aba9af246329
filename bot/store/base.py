"""The store's connection, write transactions with lock retries, and the mapping between rows and values.

One code path for both kinds of store: SQLAlchemy Core over aiosqlite (an SQLite file) or asyncpg (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeVar

from sqlalchemy import Executable, RowMapping
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.models import (
    Community,
    DeliveryStatus,
    Escalation,
    Incident,
    IncidentEvent,
    IncidentStatus,
    NudgeMode,
    Platform,
    Severity,
    Tier,
)
from bot.store.engine import (
    BUSY_TIMEOUT_MS,
    StoreError,
    begin_statement,
    connect,
    make_engine,
    migrate_async,
    migrate_database,
    migration_status,
    readable,
    retryable,
    status_async,
    unusable,
)
from bot.store.statements import Db, Params
from bot.store.target import DatabaseTarget, is_postgresql, shown
from bot.texts import plural

__all__ = ["BUSY_TIMEOUT_MS", "Db", "StoreError", "migrate_database", "migration_status", "unusable"]

log = logging.getLogger(__name__)
T = TypeVar("T")
LOCK_RETRIES = 8
CLOSE_WAIT_SECONDS = 30.0  # at close, for a write whose caller was cancelled to finish
SYSTEM_ACTOR = "nudgebot"
CHECKPOINT_EVERY = 200  # commits between WAL checkpoints
WAL_RESTART_FRAMES = 4_000  # pages (16 MB) of WAL after which a checkpoint briefly holds our writers to catch up


def backoff(attempt: int) -> float:
    """Seconds to wait before retry `attempt` (0-based) on a locked database: exponential, jittered, capped."""
    return min(2.0, 0.05 * 2**attempt) * (0.5 + random.random())


def ts(moment: datetime) -> str:
    """A stored timestamp: UTC ISO 8601 with microseconds, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("the store takes timezone-aware datetimes only (use datetime.now(UTC))")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def now_ts() -> str:
    """The current time as a stored timestamp (for audit events the caller did not time)."""
    return ts(datetime.now(UTC))


def parse_ts(value: str) -> datetime:
    """A stored timestamp back to an aware datetime."""
    return datetime.fromisoformat(value)


def to_incident(row: RowMapping) -> Incident:
    """One `incidents` row as the value the committee reviews."""
    return Incident(
        id=row["id"], platform=Platform(row["platform"]), community_id=row["community_id"],
        channel_id=row["channel_id"], message_id=row["message_id"], revision=row["revision"],
        author_id=row["author_id"], author_name=row["author_name"], targets=tuple(json.loads(row["targets"])),
        clauses=tuple(json.loads(row["clauses"])), rules=tuple(json.loads(row["rules"])),
        severity=Severity(row["severity"]), excerpt=row["excerpt"], content=row["content"],
        created_at=parse_ts(row["created_at"]), status=IncidentStatus(row["status"]),
        delivery_status=DeliveryStatus(row["delivery_status"]), delivery_reason=row["delivery_reason"],
        permalink=row["permalink"], tier=Tier(row["tier"]),
    )


def to_event(row: RowMapping) -> IncidentEvent:
    """One `incident_events` row."""
    return IncidentEvent(incident_id=row["incident_id"], actor_id=row["actor_id"], action=row["action"],
                         note=row["note"], created_at=parse_ts(row["created_at"]))


def to_community(row: RowMapping) -> Community:
    """One `communities` row."""
    return Community(
        platform=Platform(row["platform"]), community_id=row["community_id"], name=row["name"],
        committee_role=row["committee_role"], committee_channel=row["committee_channel"],
        alert_channel=row["alert_channel"], under18_channels=tuple(json.loads(row["under18_channels"])),
        nudge_mode=NudgeMode(row["nudge_mode"]), retention_days=row["retention_days"],
        keep_full_content=bool(row["keep_full_content"]), welfare_contact=row["welfare_contact"],
        welfare_alerts=bool(row["welfare_alerts"]),
    )


def to_escalation(row: RowMapping, incident_ids: tuple[int, ...]) -> Escalation:
    """One `escalations` row with the incidents it groups."""
    return Escalation(id=row["id"], platform=Platform(row["platform"]), community_id=row["community_id"],
                      author_id=row["author_id"], target_id=row["target_id"], status=row["status"],
                      created_at=parse_ts(row["created_at"]), incident_ids=incident_ids)


class StoreBase:
    """The connection and the write discipline every part of the store shares."""

    def __init__(self, engine: AsyncEngine, connection: AsyncConnection, target: DatabaseTarget, *,
                 sqlite_driver: Any = None, default_retention_days: int = 180,
                 default_keep_full_content: bool = False) -> None:
        self._engine = engine
        self._db = Db(connection, sqlite_driver)
        self.target = target
        self.postgresql = is_postgresql(target)
        self.dialect = "postgresql" if self.postgresql else "sqlite"
        # The SQLite file (the spool and the read-only rule statistics sit beside it); None on PostgreSQL.
        self.path: Path | None = None if self.postgresql else Path(target)
        self._begin = begin_statement(target)
        self.default_retention_days = default_retention_days
        self.default_keep_full_content = default_keep_full_content
        self._write_lock = asyncio.Lock()  # one writer at a time on the one connection: short transactions
        self._closing = False
        self.read_only = False  # opened with read_only=True: every write fails
        self._record_queue: list[Any] = []  # incidents waiting for the next group commit (IncidentStore)
        self._record_flusher: asyncio.Task[None] | None = None
        self._lone_recorder = True  # the last incident write was for one caller alone (IncidentStore)
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
        # Community settings are read for every message but change only at setup: a short-lived cache, dropped
        # on save, spares a query per message; the TTL lets a change made by another process show up soon.
        self._community_cache: dict[tuple[str, str], tuple[float, Any]] = {}

    @classmethod
    async def open(cls, target: DatabaseTarget, *, migrate: bool = True, read_only: bool = False,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS, default_retention_days: int = 180,
                   default_keep_full_content: bool = False) -> Self:
        """Open (creating if needed) and migrate the database; refuses a newer or altered database.

        `target` is an SQLite file path or a `postgresql://` URL. `read_only` (commands that only read): never
        migrated or created, an SQLite file opened `mode=ro`, a PostgreSQL session set read-only. The defaults
        apply to communities whose committee never ran setup (from Settings).
        """
        if not is_postgresql(target):
            target = Path(target)
        immutable = False
        if read_only:
            immutable = await readable(target)
        elif migrate:
            await migrate_async(target)
        else:
            pending = (await status_async(target)).pending
            if pending:
                raise StoreError(f"the database {shown(target)} needs {plural(len(pending), 'migration')}: "
                                 "run `nudgebot db upgrade`")
        engine = make_engine(target, read_only=read_only, immutable=immutable)
        connection = await connect(engine, target)
        try:
            if is_postgresql(target):
                if read_only:
                    await connection.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            elif read_only:
                await connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            else:
                await cls._configure_sqlite(connection, busy_timeout_ms)
        except BaseException:
            await connection.close()
            await engine.dispose()
            raise
        driver: Any = None
        if not is_postgresql(target):
            driver = (await connection.get_raw_connection()).driver_connection
            driver.row_factory = sqlite3.Row
        store = cls(engine, connection, target, sqlite_driver=driver, default_retention_days=default_retention_days,
                    default_keep_full_content=default_keep_full_content)
        store.read_only = read_only
        return store

    @staticmethod
    async def _configure_sqlite(connection: AsyncConnection, busy_timeout_ms: int) -> None:
        for pragma in ("journal_mode = WAL", "foreign_keys = ON", f"busy_timeout = {int(busy_timeout_ms)}",
                       "synchronous = NORMAL",
                       # Deleted rows (erased or purged incidents) are overwritten in the file, not just unlinked.
                       "secure_delete = ON",
                       # Checkpoints (copying the WAL back into the file, with an fsync) run on a worker thread
                       # instead of inside whichever commit crosses the threshold: see _committed().
                       "wal_autocheckpoint = 0",
                       "journal_size_limit = 67108864",  # trim the WAL file back to 64 MB
                       # `PRAGMA optimize` at close may ANALYZE; sampling keeps that to milliseconds on 1M incidents.
                       "analysis_limit = 1000"):
            await connection.exec_driver_sql(f"PRAGMA {pragma}")

    @property
    def local_path(self) -> Path:
        """The file the local spool (bot/store/spool.py) sits beside: the SQLite file itself, or for a PostgreSQL store
        `nudgebot-<database>.db` in the working directory (the spool is per machine, the store is shared)."""
        if self.path is not None:
            return self.path
        database = str(self.target).rsplit("/", 1)[-1].split("?", 1)[0] or "postgres"
        return Path(f"nudgebot-{database}.db")

    async def sqlite_connection(self) -> Any:
        """The aiosqlite connection under an SQLite store (for tests that inject faults); None on PostgreSQL."""
        if self.postgresql:
            return None
        raw = await self._db.connection.get_raw_connection()
        return raw.driver_connection

    async def close(self) -> None:
        """Finish recording queued incidents, then close the connection (after refreshing planner statistics)."""
        if self._closing:
            return
        self._closing = True
        try:
            if self._record_flusher is not None and not self._record_flusher.done():
                with contextlib.suppress(Exception):  # each caller already received its own error
                    await self._record_flusher
            if self._checkpoint is not None:
                with contextlib.suppress(Exception):
                    await self._checkpoint
            with contextlib.suppress(TimeoutError):  # a write whose caller was cancelled finishes first
                await asyncio.wait_for(self._write_lock.acquire(), CLOSE_WAIT_SECONDS)
            if not self.postgresql and not self.read_only:
                with contextlib.suppress(SQLAlchemyError):  # best effort: a locked or read-only file still closes
                    await self._db.raw("PRAGMA optimize")
        finally:
            # Even when cancelled above: aiosqlite's worker thread is not a daemon and would keep the process alive.
            with contextlib.suppress(SQLAlchemyError, OSError):
                await self._db.connection.close()
            await self._engine.dispose()

    async def _write(self, work: Callable[[Db], Awaitable[T]]) -> T:
        """Run `work` in one short transaction, retried with backoff while another process holds the lock.

        The transaction runs in its own task: a caller cancelled halfway (a worker stopped at shutdown) must not
        leave it open on the shared connection, where every later write would fail.
        """
        return await asyncio.shield(self._write_now(work))

    async def _transaction(self, work: Callable[[Db], Awaitable[T]]) -> T:
        """BEGIN, `work`, COMMIT; ROLLBACK on any error. The caller holds the write lock."""
        await self._db.raw(self._begin)
        try:
            result = await work(self._db)
            await self._db.raw("COMMIT")
        except BaseException:
            with contextlib.suppress(SQLAlchemyError, sqlite3.Error):
                await self._db.raw("ROLLBACK")
            raise
        self._committed()
        return result

    async def _write_now(self, work: Callable[[Db], Awaitable[T]]) -> T:
        for attempt in range(LOCK_RETRIES):
            try:
                async with self._write_lock:
                    return await self._transaction(work)
            except SQLAlchemyError as exc:
                if not retryable(exc):
                    raise
                delay = backoff(attempt)
                log.warning("database locked; retrying", extra={"attempt": attempt + 1, "delay": round(delay, 3)})
                await asyncio.sleep(delay)
        raise StoreError(f"the database {shown(self.target)} stayed locked through {LOCK_RETRIES} retries")

    def _committed(self) -> None:
        """Count a commit; on SQLite, every CHECKPOINT_EVERY commits, checkpoint the WAL on a worker thread."""
        if self.postgresql:
            return
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY or (self._checkpoint is not None and not self._checkpoint.done()):
            return
        self._commits = 0
        self._checkpoint = asyncio.create_task(self._checkpoint_in_background(), name="nudgebot-checkpoint")

    async def _checkpoint_in_background(self) -> None:
        frames = await asyncio.to_thread(self._checkpoint_now)
        if frames >= WAL_RESTART_FRAMES:
            # Under steady writes a passive checkpoint is always a little behind, and the WAL can only start
            # again from the top once one has caught up: let it catch up with our writers held for a moment.
            async with self._write_lock:
                await asyncio.to_thread(self._checkpoint_now)

    def _checkpoint_now(self) -> int:
        """A PASSIVE checkpoint on its own connection (the fsync stays off the bot's thread); the WAL's frames."""
        try:
            connection = sqlite3.connect(str(self.path), isolation_level=None)
            try:
                row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed; the next one will catch up", extra={"error": str(exc)})
            return 0
        return int(row[1]) if row else 0

    async def _rows(self, sql: str | Executable, params: Params | None = None) -> Sequence[RowMapping]:
        """Run a read and fetch every row in one hop to the connection."""
        return await self._db.fetch(sql, params)

    async def _one(self, sql: str | Executable, params: Params | None = None) -> RowMapping | None:
        """Run a read that returns at most one row."""
        rows = await self._db.fetch(sql, params)
        return rows[0] if rows else None
