"""The inbox's spool file: messages waiting for moderation beyond the memory limit, beside the incident database.

A separate SQLite file (`nudgebot.db` -> `nudgebot.inbox.db`) with its own connection, used synchronously from the
event loop: a batch of 500 rows takes about a millisecond, and blocking the loop for it is the point. It is the
bot's only brake on a flood, since the chat libraries read their sockets as fast as data arrives; while the batch
is written nothing more is read. Keeping it out of the incident database means it never waits on a moderation
transaction held open across awaits. Rows live only until their message is moderated; deleted rows are
overwritten in the file (secure_delete), and an idle bot's spool is empty.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from bot.models import Platform
from bot.store.files import create_private

# What a failing spool file raises: the inbox then holds messages in memory until it works again.
SPOOL_FAILURES: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id        INTEGER PRIMARY KEY,
    platform  TEXT NOT NULL,
    event     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_by_platform ON inbox (platform, id);
"""


def spool_path(db_path: Path, tag: str = "") -> Path:
    """Where the spool of the incident database `db_path` lives; `tag` names the part of the work a process does
    when several share the database (`shards-0-1`), so each keeps its own waiting messages."""
    return db_path.with_name(f"{db_path.stem}.inbox{'-' + tag if tag else ''}{db_path.suffix or '.db'}")


class Spool:
    """Append, read in order and delete waiting messages (JSON) of one platform; every call is synchronous."""

    def __init__(self, path: Path, platform: Platform) -> None:
        self.path = path
        self._platform = platform.value
        create_private(path)  # waiting messages are members' words: the operator's alone (0600), as the database
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            self._db.execute("PRAGMA busy_timeout = 2000")  # another nudgebot process on the same files
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            self._db.execute("PRAGMA secure_delete = ON")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error:
            self._db.close()
            raise

    def add(self, events: Sequence[str]) -> None:
        """Append messages in the order given, in one transaction."""
        with self._transaction():
            self._db.executemany("INSERT INTO inbox (platform, event) VALUES (?, ?)",
                                 [(self._platform, event) for event in events])

    def next(self, after_id: int, limit: int) -> list[tuple[int, str]]:
        """Up to `limit` messages with an id above `after_id`, oldest first, as (id, JSON)."""
        rows = self._db.execute("SELECT id, event FROM inbox WHERE platform = ? AND id > ? ORDER BY id LIMIT ?",
                                (self._platform, after_id, limit)).fetchall()
        return [(int(row_id), str(event)) for row_id, event in rows]

    def remove(self, ids: Sequence[int]) -> None:
        """Delete moderated messages."""
        with self._transaction():
            self._db.executemany("DELETE FROM inbox WHERE id = ?", [(row_id,) for row_id in ids])

    def count(self) -> int:
        """How many messages wait in the spool."""
        row = self._db.execute("SELECT count(*) FROM inbox WHERE platform = ?", (self._platform,)).fetchone()
        return int(row[0])

    def save(self, first: Sequence[str], remove_ids: Sequence[int], after_id: int, last: Sequence[str]) -> None:
        """At stop, in one transaction: delete `remove_ids` (moderated, or read back and now in `first`), then
        leave the spool in arrival order: `first` (what waited in memory), the rows above `after_id` never read
        back, then `last` (arrivals not yet written)."""
        with self._transaction():
            self._db.executemany("DELETE FROM inbox WHERE id = ?", [(row_id,) for row_id in remove_ids])
            unread = [row[0] for row in self._db.execute(
                "SELECT event FROM inbox WHERE platform = ? AND id > ? ORDER BY id", (self._platform, after_id))]
            self._db.execute("DELETE FROM inbox WHERE platform = ? AND id > ?", (self._platform, after_id))
            self._db.executemany("INSERT INTO inbox (platform, event) VALUES (?, ?)",
                                 [(self._platform, event) for event in [*first, *unread, *last]])

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if kind is not None else "COMMIT")
