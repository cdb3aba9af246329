"""Real storage faults for the tests: SQLite's own limits on the store's connection, and a tiny tmpfs that can be
filled up."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bot.store import Store

NO_LIMIT_PAGES = 1_073_741_823  # SQLite's default max_page_count


async def _pragma(store: Store, pragma: str) -> list[Any]:
    # Test-only hook: these limits hold per connection, so they must be set on the store's own connection
    # (a second connection would not make the bot's writes fail).
    return list(await (await store.sqlite_connection()).execute_fetchall(f"PRAGMA {pragma}"))


async def make_read_only(store: Store) -> None:
    """Every write on the store's connection fails with SQLITE_READONLY; reads still work."""
    await _pragma(store, "query_only = ON")


async def make_full(store: Store) -> None:
    """The database may not grow by a single page: writes needing a new page fail with SQLITE_FULL."""
    rows = await _pragma(store, "page_count")
    await _pragma(store, f"max_page_count = {int(rows[0][0])}")


async def make_writable(store: Store) -> None:
    """The disk is back: no read-only switch, no size limit."""
    await _pragma(store, "query_only = OFF")
    await _pragma(store, f"max_page_count = {NO_LIMIT_PAGES}")


class SmallDisk:
    """A 16 MB tmpfs: `fill()` takes every free byte (ENOSPC for SQLite), `free()` gives it back.

    (Remounting it read-only is not possible while SQLite holds the database open for writing: the kernel refuses
    with EBUSY. `make_read_only` covers the read-only case.)
    """

    def __init__(self, where: Path, size: str = "16m") -> None:
        self.path = where
        self.size = size
        self.mounted = False

    def _mount(self, *args: str) -> bool:
        result = subprocess.run(["mount", *args], capture_output=True, text=True, check=False)
        return result.returncode == 0

    def mount(self) -> bool:
        """Mount the tmpfs; False where that is not allowed."""
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self.mounted = self._mount("-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", str(self.path))
        except FileNotFoundError:  # no mount(8) at all
            self.mounted = False
        return self.mounted

    def unmount(self) -> None:
        """Unmount (lazily, in case a connection is still open)."""
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True, check=False)
            self.mounted = False

    @property
    def filler(self) -> Path:
        return self.path / "filler"

    def fill(self) -> int:
        """Write zeros until the disk is full; returns the bytes written."""
        written = 0
        chunk = b"\0" * 4096
        descriptor = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            with contextlib.suppress(OSError):  # ENOSPC: full
                while True:
                    written += os.write(descriptor, chunk)
        finally:
            os.close(descriptor)
        return written

    def free(self) -> None:
        """Delete the filler: the disk has room again."""
        self.filler.unlink(missing_ok=True)

def incident_counts(db_path: Path) -> Counter[tuple[str, str, int]]:
    """How many incident rows each (community, message, revision) has, read straight from the file."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return Counter((str(c), str(m), int(r)) for c, m, r in db.execute(
            "SELECT community_id, message_id, revision FROM incidents"))


def delivery_counts(db_path: Path) -> Counter[str]:
    """Incidents per delivery status."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        return Counter(str(s) for (s,) in db.execute("SELECT delivery_status FROM incidents"))
