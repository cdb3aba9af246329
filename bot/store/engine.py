"""SQLAlchemy async engines for the two kinds of store (aiosqlite for a file, asyncpg for PostgreSQL), and the
migrations run through them; everything else in the store is one code path over either."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, NullPool
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import NudgebotError
from bot.store.files import create_private
from bot.store.migrate import Migration, MigrationStatus, available, status, upgrade
from bot.store.target import DatabaseTarget, is_postgresql, shown
from bot.texts import plural

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5_000
# Retried: SQLite's lock (another process is writing) and PostgreSQL's serialization failure and deadlock.
_RETRY_SQLSTATES = {"40001", "40P01"}
_LEDGER_LOCK = "LOCK TABLE schema_migrations IN SHARE ROW EXCLUSIVE MODE"


class StoreError(NudgebotError):
    """The database cannot be used (unreadable file, unreachable server, locked beyond every retry)."""


# What a failing database raises through the store (the driver's errors arrive wrapped by SQLAlchemy): the
# moderator catches these to keep a message's result in memory until the database answers again.
STORE_FAILURES: tuple[type[BaseException], ...] = (StoreError, SQLAlchemyError, sqlite3.Error, OSError)


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


def dialect_of(target: DatabaseTarget) -> str:
    """"postgresql" or "sqlite"."""
    return "postgresql" if is_postgresql(target) else "sqlite"


def make_engine(target: DatabaseTarget, *, read_only: bool = False, immutable: bool = False) -> AsyncEngine:
    """An engine in autocommit mode: the store opens its own short transactions (BEGIN IMMEDIATE on SQLite).

    `read_only` opens an SQLite file with `mode=ro` (nothing is ever written to it); PostgreSQL sessions are set
    read-only by the store.
    """
    if is_postgresql(target):
        url = make_url(str(target)).set(drivername="postgresql+asyncpg")
    elif read_only:
        extra = "&immutable=1" if immutable else ""
        url = make_url(f"sqlite+aiosqlite:///{Path(target).absolute().as_uri()}?mode=ro{extra}&uri=true")
    else:
        path = Path(target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            create_private(path)  # a new database file is readable by this user only
        except OSError as exc:
            raise unusable(path, exc) from None
        url = make_url(f"sqlite+aiosqlite:///{path}")
    # NullPool: each store holds its one long-lived connection itself; nothing idles in a pool after close.
    return create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")


def begin_statement(target: DatabaseTarget) -> str:
    """How a write transaction starts: SQLite takes the write lock up front, so it never has to upgrade."""
    return "BEGIN" if is_postgresql(target) else "BEGIN IMMEDIATE"


async def connect(engine: AsyncEngine, target: DatabaseTarget) -> AsyncConnection:
    """Connect, naming the target (never its password) when the server or file refuses."""
    try:
        return await engine.connect()
    except (SQLAlchemyError, OSError) as exc:
        await engine.dispose()
        raise failure(target, exc) from None


def failure(target: DatabaseTarget, exc: BaseException) -> StoreError:
    """The one line for a database that cannot be used: SQLite's errors named by `unusable`, the server's as is."""
    reason = getattr(exc, "orig", None) or exc
    if not is_postgresql(target) and isinstance(reason, (sqlite3.Error, OSError)):
        return unusable(Path(target), reason)
    return StoreError(f"cannot use the database {shown(target)}: {reason} (check --db or NUDGEBOT_DB)")


def retryable(exc: BaseException) -> bool:
    """A write that failed only because another process held a lock, or lost a serialization race."""
    if not isinstance(exc, DBAPIError):
        return False
    message = str(exc.orig)
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in _RETRY_SQLSTATES or "locked" in message or "busy" in message


async def run_migrations(target: DatabaseTarget, work: Callable[[Connection, list[Migration]], T],
                         migrations: list[Migration] | None, *, read_only: bool = False,
                         immutable: bool = False) -> T:
    """Run `work` on a connection of its own (on SQLite without foreign keys, so a table rebuild cascades
    nothing), with the migrations for this kind of database."""
    wanted = available(dialect=dialect_of(target)) if migrations is None else migrations
    engine = make_engine(target, read_only=read_only, immutable=immutable)
    connection = await connect(engine, target)
    try:
        if not is_postgresql(target):
            await connection.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return await connection.run_sync(lambda sync: work(sync, wanted))
    except SQLAlchemyError as exc:
        raise failure(target, exc) from None
    finally:
        await connection.close()
        await engine.dispose()


async def migrate_async(target: DatabaseTarget, migrations: list[Migration] | None = None) -> list[Migration]:
    """Bring the database up to date; return the migrations applied."""
    lock = _LEDGER_LOCK if is_postgresql(target) else None
    return await run_migrations(
        target, lambda c, m: upgrade(c, m, begin=begin_statement(target), lock=lock), migrations)


async def status_async(target: DatabaseTarget, migrations: list[Migration] | None = None) -> MigrationStatus:
    """What is applied and what is pending."""
    return await run_migrations(target, status, migrations)


async def readable(target: DatabaseTarget) -> bool:
    """Check a database can be read without writing to it and is fully migrated; True when an SQLite file must be
    read as immutable.

    A WAL database needs its -shm file, which a read-only folder cannot hold. When SQLite cannot open it and there
    is no -wal file either, no process has the database open (the last one to close copies the log back into the
    file and removes both), so the file is complete and unchanging as it is, and SQLite may read it as immutable.
    """
    for immutable in (False, True):
        try:
            pending = (await run_migrations(target, status, None, read_only=True, immutable=immutable)).pending
        except StoreError:
            path = Path(target)
            if (immutable or is_postgresql(target) or not path.is_file() or Path(f"{path}-wal").exists()
                    or not await _cannot_open(path)):
                raise
            continue
        if pending:
            raise StoreError(f"the database {shown(target)} needs "
                             f"{plural(len(pending), 'migration')}: run "
                             "`nudgebot db upgrade`")
        return immutable
    raise AssertionError("unreachable: the immutable attempt returns or raises")


async def _cannot_open(path: Path) -> bool:
    """SQLite refuses to open the file read-only as it is (SQLITE_CANTOPEN: no -shm can be made beside it)."""

    def attempt() -> bool:
        try:
            connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
            try:
                connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                connection.close()
        except sqlite3.Error as exc:
            return exc.sqlite_errorname == "SQLITE_CANTOPEN"
        return False

    return await asyncio.to_thread(attempt)


def run_blocking(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end from synchronous code (the CLI, tooling), even where this thread already runs
    an event loop (it then runs on a thread of its own, and this thread waits)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(work())).result()


def migrate_database(target: DatabaseTarget, migrations: list[Migration] | None = None) -> list[Migration]:
    """Bring the database up to date (`nudgebot db upgrade`); return the migrations applied."""
    return run_blocking(lambda: migrate_async(target, migrations))


def migration_status(target: DatabaseTarget, migrations: list[Migration] | None = None) -> MigrationStatus:
    """What is applied and what is pending (`nudgebot db status`); refuses a newer or altered database."""
    return run_blocking(lambda: status_async(target, migrations))
