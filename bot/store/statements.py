"""How the store runs its statements on its one connection: through SQLAlchemy on PostgreSQL, compiled once and
run in one hop on SQLite (see `Db`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Executable, TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

Params = Mapping[str, Any]
# Picks a statement's parameters out of a mapping, in the order its compiled SQL binds them.
Picker = Callable[[Params], tuple[Any, ...]]


def picker(order: Sequence[str]) -> Picker:
    """The parameters named `order`, in that order, from a mapping: itemgetter does it in C (it answers a bare
    value, not a 1-tuple, for one name)."""
    if not order:
        return lambda params: ()
    if len(order) == 1:
        one = itemgetter(order[0])
        return lambda params: (one(params),)
    return cast(Picker, itemgetter(*order))


class Db:
    """The statements a store runs on its one connection, each written once for both engines.

    PostgreSQL runs them through SQLAlchemy's async execution (asyncpg, prepared statements cached). On SQLite,
    SQLAlchemy's aiosqlite adapter costs four hops to aiosqlite's thread per statement (cursor, execute, fetch,
    close): measured, that more than halved the store's recording rate. So a statement that takes parameters is
    compiled by SQLAlchemy once, for the SQLite dialect, and run on the aiosqlite connection beneath it in one hop,
    as the store did before; a group commit's insert is one executemany of the one-row statement, compiled the same
    way (`sqlite_many`). Statements built per call (stats queries, upserts with inline values) still go through
    SQLAlchemy's execution.
    """

    def __init__(self, connection: AsyncConnection, sqlite_driver: Any = None) -> None:
        self.connection = connection
        self._sqlite = sqlite_driver  # the aiosqlite connection (row factory sqlite3.Row), or None on PostgreSQL
        self._texts: dict[str, TextClause] = {}
        # (SQL or id of the construct, parameter names) -> (SQLite's text, its picker, the statement). The entry
        # holds the construct itself so that its id cannot be taken by another one while the entry lives.
        self._compiled: dict[tuple[Any, ...], tuple[str, Picker, str | Executable]] = {}

    def _statement(self, sql: str | Executable) -> Executable:
        if not isinstance(sql, str):
            return sql
        statement = self._texts.get(sql)
        if statement is None:
            statement = self._texts[sql] = text(sql)
        return statement

    def _compiled_for_sqlite(self, sql: str | Executable, names: Params) -> tuple[str, Picker]:
        """The statement as SQLAlchemy compiles it for SQLite (cached), and what picks its parameters in order."""
        key = (sql if isinstance(sql, str) else id(sql), *names)
        found = self._compiled.get(key)
        if found is None:
            statement = self._statement(sql)
            assert isinstance(statement, ClauseElement)  # text() and Core constructs both are
            compiled = cast(SQLCompiler, statement.compile(dialect=self.connection.dialect, column_keys=list(names)))
            if len(self._compiled) >= 2_000:  # statements are few; a runaway caller must not grow this for ever
                self._compiled.clear()
            found = self._compiled[key] = (str(compiled), picker(compiled.positiontup or ()), sql)
        return found[0], found[1]

    def _for_sqlite(self, sql: str | Executable, params: Params) -> tuple[str, tuple[Any, ...]]:
        """The statement as SQLAlchemy compiles it for SQLite (cached), and its parameters in order."""
        sql_text, pick = self._compiled_for_sqlite(sql, params)
        return sql_text, pick(params)

    async def _sqlite_call(self, sql: str | Executable, params: Params, rows: bool) -> Any:
        sql_text, values = self._for_sqlite(sql, params)
        try:
            if rows:
                return await self._sqlite.execute_fetchall(sql_text, values)
            cursor = await self._sqlite.execute(sql_text, values)
            return cursor.rowcount
        except sqlite3.Error as exc:  # raised as SQLAlchemy would, so one set of handlers serves both engines
            raise DBAPIError.instance(sql_text, values, exc, sqlite3.Error) from None

    async def fetch(self, sql: str | Executable, params: Params | None = None) -> Sequence[Any]:
        """Run a statement and return every row it gives back (each row readable by column name)."""
        if self._sqlite is not None and (isinstance(sql, str) or params is not None):
            return list(await self._sqlite_call(sql, params or {}, True))
        result = await self.connection.execute(self._statement(sql), dict(params or {}))
        return result.mappings().all()

    async def fetch_many(self, sql: str | Executable, rows: Sequence[Params]) -> Sequence[Any]:
        """Run one INSERT ... RETURNING for many parameter sets; every row returned."""
        result = await self.connection.execute(self._statement(sql), [dict(r) for r in rows])
        return result.mappings().all()

    async def run(self, sql: str | Executable, params: Params | None = None) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        if self._sqlite is not None and (isinstance(sql, str) or params is not None):
            return int(await self._sqlite_call(sql, params or {}, False))
        result = await self.connection.execute(self._statement(sql), dict(params or {}))
        return int(result.rowcount)

    async def sqlite_many(self, sql: Executable, rows: Sequence[Params]) -> int:
        """SQLite only: one statement (compiled by SQLAlchemy once) for every parameter set, as one executemany in
        one hop to aiosqlite's thread; the number of rows it changed (summed over the sets)."""
        sql_text, pick = self._compiled_for_sqlite(sql, rows[0])
        values = [pick(row) for row in rows]
        try:
            cursor = await self._sqlite.executemany(sql_text, values)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql_text, values[:1], exc, sqlite3.Error) from None
        return int(cursor.rowcount)

    async def sqlite_fetch(self, sql_text: str, values: Sequence[Any]) -> Sequence[Any]:
        """SQLite only: a statement already in SQLite's words (positional ?), its rows, in one hop."""
        try:
            return list(await self._sqlite.execute_fetchall(sql_text, values))
        except sqlite3.Error as exc:
            raise DBAPIError.instance(sql_text, values, exc, sqlite3.Error) from None

    async def many(self, sql: str | Executable, rows: Sequence[Params]) -> None:
        """Run one statement for many parameter sets (a driver-level executemany)."""
        if rows:
            await self.connection.execute(self._statement(sql), [dict(r) for r in rows])

    async def raw(self, sql: str) -> None:
        """A statement with no parameters, straight to the driver (transaction control, pragmas)."""
        if self._sqlite is not None:
            try:
                await self._sqlite.execute(sql)
            except sqlite3.Error as exc:
                raise DBAPIError.instance(sql, (), exc, sqlite3.Error) from None
            return
        await self.connection.exec_driver_sql(sql)
