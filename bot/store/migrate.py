"""Applies the numbered SQL migrations in order, each in one transaction, recording a checksum of each file.

SQLite's files are in `migrations/`, PostgreSQL's (the same versions, where the SQL must differ) in
`migrations/postgresql/`; one runner applies either over SQLAlchemy, statement by statement.

Start-up refuses a database that is newer than the code, or whose applied migration no longer matches its file:
migrations are never edited once released, so either would mean the data and the code disagree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import NudgebotError
from bot.resources import migrations_dir

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_COMMENT = re.compile(r"--[^\n]*")
_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"""
POSTGRESQL_FOLDER = "postgresql"


class MigrationError(NudgebotError):
    """The database and the migrations disagree, or a migration failed (the database is left as it was)."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text."""
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()

    def statements(self) -> list[str]:
        """The file's statements, comments dropped (the files keep semicolons out of their string literals)."""
        return [s.strip() for s in _COMMENT.sub("", self.sql).split(";") if s.strip()]


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """What `nudgebot db status` shows."""

    applied: tuple[tuple[int, str, str], ...]  # version, name, applied_at
    pending: tuple[Migration, ...]

    @property
    def current(self) -> int:
        """The highest applied version (0 for an empty database)."""
        return max((v for v, _, _ in self.applied), default=0)


def available(directory: Path | None = None, *, dialect: str = "sqlite") -> list[Migration]:
    """The migration files for a database kind ("sqlite" or "postgresql"), in version order.

    A misnamed or duplicated file is an error.
    """
    folder = directory or migrations_dir()
    if directory is None and dialect == "postgresql":
        folder = folder / POSTGRESQL_FOLDER
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path}: version {version} is used twice")
        found[version] = Migration(version, path.stem, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def status(connection: Connection, migrations: list[Migration]) -> MigrationStatus:
    """Compare the database's ledger with the files; refuse a newer database or a changed migration.

    Only reads, so that it works on a read-only database: no ledger yet means nothing applied.
    """
    rows = connection.execute(text("SELECT version, name, checksum, applied_at FROM schema_migrations "
                                   "ORDER BY version")) if inspect(connection).has_table("schema_migrations") else None
    applied = [(int(v), str(n), str(c), str(a)) for v, n, c, a in rows.all()] if rows else []
    by_version = {m.version: m for m in migrations}
    newest_known = max(by_version, default=0)
    for version, name, checksum, _ in applied:
        if version > newest_known:
            raise MigrationError(
                f"the database is at version {version} ({name}) but this nudgebot knows only up to {newest_known}: "
                "upgrade nudgebot, or point NUDGEBOT_DB at another database")
        if by_version[version].checksum != checksum:
            raise MigrationError(
                f"migration {by_version[version].name}.sql changed after it was applied to this database: "
                "restore the released file and put the change in a new migration")
    done = {v for v, _, _, _ in applied}
    return MigrationStatus(tuple((v, n, a) for v, n, _, a in applied),
                           tuple(m for m in migrations if m.version not in done))


def upgrade(connection: Connection, migrations: list[Migration], *, begin: str = "BEGIN",
            lock: str | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return the ones applied.

    The connection must be in autocommit mode so the transactions opened here with `begin` ("BEGIN IMMEDIATE"
    on SQLite, so two processes cannot both start one; on PostgreSQL `lock` takes the ledger's table lock) are
    the only ones. A migration that fails is rolled back
    whole (PostgreSQL and SQLite both roll back DDL) and raises MigrationError naming it.
    """
    connection.execute(text(_LEDGER))
    pending = status(connection, migrations).pending
    for migration in pending:
        applied_at = datetime.now(UTC).isoformat(timespec="seconds")
        connection.exec_driver_sql(begin)
        try:
            if lock:
                connection.exec_driver_sql(lock)
            # Another process may have applied it while this one waited for the lock: look again inside.
            if connection.execute(text("SELECT 1 FROM schema_migrations WHERE version = :v"),
                                  {"v": migration.version}).first() is None:
                for statement in migration.statements():
                    connection.exec_driver_sql(statement)
                connection.execute(
                    text("INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                         "VALUES (:version, :name, :checksum, :applied_at)"),
                    {"version": migration.version, "name": migration.name, "checksum": migration.checksum,
                     "applied_at": applied_at})
            connection.exec_driver_sql("COMMIT")
        except SQLAlchemyError as exc:
            connection.exec_driver_sql("ROLLBACK")
            if getattr(getattr(exc, "orig", None), "sqlite_errorname", "").startswith(
                    ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR")):
                raise  # the file, not the migration: the store names it and says what to do
            raise MigrationError(f"migration {migration.name}.sql failed and was rolled back: "
                                 f"{getattr(exc, 'orig', None) or exc}") from None
    return list(pending)
