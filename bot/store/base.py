"""The store's connection, write transactions with lock retries, and the mapping between rows and values."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import sqlite3
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from bot.errors import NudgebotError
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
from bot.store.files import create_private
from bot.store.migrate import Migration, MigrationStatus, available, status, upgrade
from bot.texts import plural

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_TIMEOUT_MS = 5_000
LOCK_RETRIES = 8
CLOSE_WAIT_SECONDS = 30.0  # at close, for a write whose caller was cancelled to finish
SYSTEM_ACTOR = "nudgebot"
CHECKPOINT_EVERY = 200  # commits between WAL checkpoints
WAL_RESTART_FRAMES = 4_000  # pages (16 MB) of WAL after which a checkpoint briefly holds our writers to catch up


class StoreError(NudgebotError):
    """The database cannot be used (unreadable file, locked beyond every retry)."""


# What "the database is failing" looks like to a caller (as opposed to a bug): these keep the work for a retry.
STORE_FAILURES: tuple[type[BaseException], ...] = (StoreError, sqlite3.Error, OSError)


def unusable(path: Path, exc: sqlite3.Error | OSError) -> StoreError:
    """The one line for a database SQLite refuses: which file, what is wrong with it, and what to do."""
    name = getattr(exc, "sqlite_errorname", "")
    if name == "SQLITE_NOTADB":
        return StoreError(f"{path} is not a nudgebot database (not an SQLite file): point --db or NUDGEBOT_DB at "
                          "the bot's database, or move this file away to start a new one")
    if name.startswith("SQLITE_CORRUPT"):
        return StoreError(f"{path} is damaged ({exc}): restore it from a backup, or move it away to start a new one")
    if name.startswith("SQLITE_READONLY") or (name.startswith("SQLITE_CANTOPEN") and _not_writable(path)):
        return StoreError(f"{path} is read-only here, and this command writes to it: run it where the file and its "
                          "folder are writable (list, show, stats, export and report only read)")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreError(f"{path} is locked by another process: try again when it has finished")
    if name.startswith("SQLITE_CANTOPEN") or isinstance(exc, OSError):
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else "cannot be opened"
        return StoreError(f"{path}: {why}: check that the file and its folder exist and that this user may read "
                          "them (and write them, for commands that record or change incidents)")
    return StoreError(f"cannot use the database {path}: {exc} (check --db or NUDGEBOT_DB)")


def _not_writable(path: Path) -> bool:
    """The file or its folder (where SQLite keeps the -wal and -shm files) cannot be written by this process."""
    return path.is_file() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))


def connect_sync(path: Path) -> sqlite3.Connection:
    """A plain autocommit sqlite3 connection for migrations and tooling; a new database file is created 0600."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private(path)
        connection = sqlite3.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise unusable(path, exc) from None
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return connection


def read_only_uri(path: Path, *, immutable: bool = False) -> str:
    """The SQLite URI that opens `path` for reading only (`mode=ro`): no write ever reaches the file."""
    return path.absolute().as_uri() + ("?mode=ro&immutable=1" if immutable else "?mode=ro")


def readable_uri(path: Path, migrations: list[Migration] | None = None) -> str:
    """Check a database can be read without writing to it and is fully migrated; return the URI that reads it.

    A WAL database needs its -shm file, which a read-only folder cannot hold. When SQLite cannot open it and there
    is no -wal file either, no process has the database open (the last one to close copies the log back into the
    file and removes both), so the file is complete and unchanging as it is, and SQLite may read it as immutable.
    """
    wanted = available() if migrations is None else migrations
    for immutable in (False, True):
        try:
            connection = sqlite3.connect(read_only_uri(path, immutable=immutable), uri=True, isolation_level=None)
            try:
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                pending = status(connection, wanted).pending
            finally:
                connection.close()
        except sqlite3.Error as exc:
            if (not immutable and exc.sqlite_errorname == "SQLITE_CANTOPEN" and path.is_file()
                    and not Path(f"{path}-wal").exists()):
                continue
            raise unusable(path, exc) from None
        if pending:
            raise StoreError(f"the database {path} needs {plural(len(pending), 'migration')}: run "
                             "`nudgebot db upgrade`")
        return read_only_uri(path, immutable=immutable)
    raise AssertionError("unreachable: the immutable attempt returns or raises")


def migrate_database(path: Path, migrations: list[Migration] | None = None) -> list[Migration]:
    """Bring the database file up to date (`nudgebot db upgrade`); return the migrations applied."""
    connection = connect_sync(path)
    try:
        return upgrade(connection, available() if migrations is None else migrations)
    except sqlite3.Error as exc:
        raise unusable(path, exc) from None
    finally:
        connection.close()


def migration_status(path: Path, migrations: list[Migration] | None = None) -> MigrationStatus:
    """What is applied and what is pending (`nudgebot db status`); refuses a newer or altered database.

    Only reads (a database that does not exist yet is created empty, as the bot would create it).
    """
    connection = connect_sync(path)
    try:
        return status(connection, available() if migrations is None else migrations)
    except sqlite3.Error as exc:
        raise unusable(path, exc) from None
    finally:
        connection.close()


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


def to_incident(row: aiosqlite.Row) -> Incident:
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


def to_event(row: aiosqlite.Row) -> IncidentEvent:
    """One `incident_events` row."""
    return IncidentEvent(incident_id=row["incident_id"], actor_id=row["actor_id"], action=row["action"],
                         note=row["note"], created_at=parse_ts(row["created_at"]))


def to_community(row: aiosqlite.Row) -> Community:
    """One `communities` row."""
    return Community(
        platform=Platform(row["platform"]), community_id=row["community_id"], name=row["name"],
        committee_role=row["committee_role"], committee_channel=row["committee_channel"],
        alert_channel=row["alert_channel"], under18_channels=tuple(json.loads(row["under18_channels"])),
        nudge_mode=NudgeMode(row["nudge_mode"]), retention_days=row["retention_days"],
        keep_full_content=bool(row["keep_full_content"]), welfare_contact=row["welfare_contact"],
        welfare_alerts=bool(row["welfare_alerts"]),
    )


def to_escalation(row: aiosqlite.Row, incident_ids: tuple[int, ...]) -> Escalation:
    """One `escalations` row with the incidents it groups."""
    return Escalation(id=row["id"], platform=Platform(row["platform"]), community_id=row["community_id"],
                      author_id=row["author_id"], target_id=row["target_id"], status=row["status"],
                      created_at=parse_ts(row["created_at"]), incident_ids=incident_ids)


class StoreBase:
    """The connection and the write discipline every part of the store shares."""

    def __init__(self, connection: aiosqlite.Connection, path: Path, *, default_retention_days: int = 180,
                 default_keep_full_content: bool = False) -> None:
        self._db = connection
        self.path = path
        self.default_retention_days = default_retention_days
        self.default_keep_full_content = default_keep_full_content
        self._write_lock = asyncio.Lock()  # one writer at a time on the one connection: short transactions
        self._closing = False
        self.read_only = False  # opened with mode=ro (Store.open(read_only=True)): every write fails
        self._record_queue: list[Any] = []  # incidents waiting for the next group commit (IncidentStore)
        self._record_flusher: asyncio.Task[None] | None = None
        self._lone_recorder = True  # the last incident write was for one caller alone (IncidentStore)
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
        # Community settings are read for every message but change only at setup: a short-lived cache, dropped
        # on save, spares a query per message; the TTL lets a change made by another process show up soon.
        self._community_cache: dict[tuple[str, str], tuple[float, Any]] = {}

    @classmethod
    async def open(cls, path: Path, *, migrate: bool = True, read_only: bool = False,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS, default_retention_days: int = 180,
                   default_keep_full_content: bool = False) -> Self:
        """Open (creating if needed) and migrate the database; refuses a newer or altered database.

        `read_only`: for commands that only read (list, show, stats, export, report): the file is opened with
        SQLite's `mode=ro`, never migrated or created, so it works on a read-only mount. The defaults apply to
        communities whose committee never ran setup (from Settings).
        """
        path = Path(path)
        try:
            if read_only:
                uri = await asyncio.to_thread(readable_uri, path)
                connection = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            else:
                if migrate:
                    await asyncio.to_thread(migrate_database, path)
                else:
                    pending = (await asyncio.to_thread(migration_status, path)).pending
                    if pending:
                        raise StoreError(f"the database {path} needs {plural(len(pending), 'migration')}: "
                                         "run `nudgebot db upgrade`")
                connection = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise unusable(path, exc) from None
        store = await cls._configure(connection, path, read_only=read_only, busy_timeout_ms=busy_timeout_ms)
        store.default_retention_days = default_retention_days
        store.default_keep_full_content = default_keep_full_content
        return store

    @classmethod
    async def _configure(cls, connection: aiosqlite.Connection, path: Path, *, read_only: bool,
                         busy_timeout_ms: int) -> Self:
        connection.row_factory = aiosqlite.Row
        store = cls(connection, path)
        store.read_only = read_only
        if read_only:  # the pragmas below that write (journal mode) or tune writing do not apply
            await connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            return store
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA foreign_keys = ON")
        await connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await connection.execute("PRAGMA synchronous = NORMAL")
        # Deleted rows (erased or purged incidents) are overwritten in the file, not just unlinked.
        await connection.execute("PRAGMA secure_delete = ON")
        # Checkpoints (copying the WAL back into the file, with an fsync) run on a worker thread instead of inside
        # whichever commit crosses the threshold: see _committed().
        await connection.execute("PRAGMA wal_autocheckpoint = 0")
        await connection.execute("PRAGMA journal_size_limit = 67108864")  # trim the WAL file back to 64 MB
        # `PRAGMA optimize` at close may ANALYZE; sampling keeps that to milliseconds on a million incidents.
        await connection.execute("PRAGMA analysis_limit = 1000")
        return store

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
            if not self.read_only:
                with contextlib.suppress(sqlite3.Error):  # best effort: a locked database still closes
                    await self._db.execute("PRAGMA optimize")
        finally:
            # Even when cancelled above: aiosqlite's worker thread is not a daemon and would keep the process alive.
            await self._db.close()

    async def _write(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `work` in one short BEGIN IMMEDIATE transaction, retried with backoff while the file is locked.

        The transaction runs in its own task: a caller cancelled halfway (a worker stopped at shutdown) must not
        leave it open on the shared connection, where every later write would fail.
        """
        return await asyncio.shield(self._write_now(work))

    async def _write_now(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        for attempt in range(LOCK_RETRIES):
            try:
                async with self._write_lock:
                    await self._db.execute("BEGIN IMMEDIATE")
                    try:
                        result = await work(self._db)
                        await self._db.execute("COMMIT")
                        self._committed()
                        return result
                    except BaseException:
                        if self._db.in_transaction:
                            await self._db.execute("ROLLBACK")
                        raise
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                delay = backoff(attempt)
                log.warning("database locked; retrying", extra={"attempt": attempt + 1, "delay": round(delay, 3)})
                await asyncio.sleep(delay)
        raise StoreError(f"the database {self.path} stayed locked through {LOCK_RETRIES} retries")

    def _committed(self) -> None:
        """Count a commit; every CHECKPOINT_EVERY commits, checkpoint the WAL on a worker thread."""
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
            connection = sqlite3.connect(self.path, isolation_level=None)
            try:
                row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed; the next one will catch up", extra={"error": str(exc)})
            return 0
        return int(row[1]) if row else 0

    async def _rows(self, sql: str, params: tuple[object, ...] | list[object] = ()) -> list[aiosqlite.Row]:
        """Run a read and fetch every row in one hop to the connection's thread."""
        return list(await self._db.execute_fetchall(sql, params))

    async def _one(self, sql: str, params: tuple[object, ...] | list[object] = ()) -> aiosqlite.Row | None:
        """Run a read that returns at most one row."""
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

