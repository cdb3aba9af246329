"""Applies the numbered SQL migrations in order, each in one transaction, recording a checksum of each file.

Start-up refuses a database that is newer than the code, or whose applied migration no longer matches its file:
migrations are never edited once released, so either would mean the data and the code disagree.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import NudgebotError
from bot.resources import migrations_dir

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LEDGER = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at TEXT NOT NULL)"""


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


@dataclass(frozen=True, slots=True)
class MigrationStatus:
    """What `nudgebot db status` shows."""

    applied: tuple[tuple[int, str, str], ...]  # version, name, applied_at
    pending: tuple[Migration, ...]

    @property
    def current(self) -> int:
        """The highest applied version (0 for an empty database)."""
        return max((v for v, _, _ in self.applied), default=0)


def available(directory: Path | None = None) -> list[Migration]:
    """The migration files, in version order; a misnamed or duplicated file is an error."""
    folder = directory or migrations_dir()
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


def status(connection: sqlite3.Connection, migrations: list[Migration]) -> MigrationStatus:
    """Compare the database's ledger with the files; refuse a newer database or a changed migration.

    Only reads, so that it works on a read-only database: no ledger yet means nothing applied.
    """
    ledger = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    rows = connection.execute("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
                              ) if ledger.fetchone() else None
    applied = [(int(v), str(n), str(c), str(a)) for v, n, c, a in rows.fetchall()] if rows else []
    by_version = {m.version: m for m in migrations}
    newest_known = max(by_version, default=0)
    for version, name, checksum, _ in applied:
        if version > newest_known:
            raise MigrationError(
                f"the database is at version {version} ({name}) but this nudgebot knows only up to {newest_known}: "
                "upgrade nudgebot, or point NUDGEBOT_DB at another file")
        if by_version[version].checksum != checksum:
            raise MigrationError(
                f"migration {by_version[version].name}.sql changed after it was applied to this database: "
                "restore the released file and put the change in a new migration")
    done = {v for v, _, _, _ in applied}
    return MigrationStatus(tuple((v, n, a) for v, n, _, a in applied),
                           tuple(m for m in migrations if m.version not in done))


def upgrade(connection: sqlite3.Connection, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return the ones applied.

    The connection must be in autocommit mode (isolation_level=None) so the transactions here are the only ones.
    A migration that fails is rolled back whole and raises MigrationError naming it.
    """
    migrations = available() if migrations is None else migrations
    connection.execute(_LEDGER)
    pending = status(connection, migrations).pending
    for migration in pending:
        applied_at = datetime.now(UTC).isoformat(timespec="seconds")
        script = (f"BEGIN IMMEDIATE;\n{migration.sql}\n;"
                  f"INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES "
                  f"({migration.version}, '{migration.name}', '{migration.checksum}', '{applied_at}');\nCOMMIT;")
        try:
            connection.executescript(script)
        except sqlite3.Error as exc:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if exc.sqlite_errorname.startswith(("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR")):
                raise  # the file, not the migration: the store names it and says what to do
            raise MigrationError(f"migration {migration.name}.sql failed and was rolled back: {exc}") from None
    return list(pending)
