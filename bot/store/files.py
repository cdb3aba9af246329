"""Files holding incident data are readable by the operator alone (0600) from the moment they exist.

The database, its -wal and -shm files, the inbox spool and every export hold what members wrote and who they
are. The mode is set when the file is created, never afterwards, so there is no moment at which another local
user could open it: SQLite gives a database's -wal and -shm files the database file's own mode.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_MODE = 0o600
_FLAGS = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


def create_private(path: Path) -> None:
    """Create `path` as an empty 0600 file unless it exists (an empty file is an empty SQLite database)."""
    try:
        descriptor = os.open(path, _FLAGS | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path`, a new file being created 0600; an existing regular file is narrowed to 0600 while
    still empty, before any data is in it. A FIFO or a device (`/dev/stdout`) is written to as it is."""
    descriptor = os.open(path, _FLAGS | os.O_TRUNC, PRIVATE_MODE)
    with os.fdopen(descriptor, "wb") as stream:
        info = os.fstat(descriptor)
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o077:
            os.fchmod(descriptor, PRIVATE_MODE)
        stream.write(data)
