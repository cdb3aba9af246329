"""Where the incident store lives: an SQLite file path (the default) or a `postgresql://` URL (a shared store)."""

from __future__ import annotations

from pathlib import Path

DatabaseTarget = Path | str  # a file path, or a PostgreSQL URL kept as text (a Path would fold its "//")
_URL_PREFIXES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


def database_target(value: str | Path) -> DatabaseTarget:
    """NUDGEBOT_DB or --db as the store takes it: a URL stays text, anything else is a file path (~ expanded)."""
    text = str(value)
    return text if text.startswith(_URL_PREFIXES) else Path(text).expanduser()


def is_postgresql(target: DatabaseTarget) -> bool:
    """True when the target names a PostgreSQL server rather than an SQLite file."""
    return isinstance(target, str) and target.startswith(_URL_PREFIXES)


def shown(target: DatabaseTarget) -> str:
    """The target for messages and logs: a URL loses its password."""
    if not is_postgresql(target):
        return str(target)
    scheme, _, rest = str(target).partition("://")
    credentials, at, place = rest.rpartition("@")
    if not at:
        return str(target)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}@{place}" if user else f"{scheme}://{place}"

DB_HELP = "SQLite file or postgresql:// URL (default: NUDGEBOT_DB, else nudgebot.db)"
