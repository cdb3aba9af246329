"""A real read fault for the tests: SQLite refuses reads of the incidents table on the store's own connection."""

from __future__ import annotations

import sqlite3

from bot.store import Store


async def refuse_incident_reads(store: Store) -> None:
    """Every read of the incidents table on the store's connection fails (SQLITE_DENY: "not authorized")."""

    def authorizer(action: int, table: str | None, *_: str | None) -> int:
        return sqlite3.SQLITE_DENY if action == sqlite3.SQLITE_READ and table == "incidents" else sqlite3.SQLITE_OK

    # Test-only hook: the fault must hit the bot's own connection (a second connection would not affect it).
    await (await store.sqlite_connection()).set_authorizer(authorizer)


async def allow_reads(store: Store) -> None:
    """The database answers again."""
    await (await store.sqlite_connection()).set_authorizer(None)
