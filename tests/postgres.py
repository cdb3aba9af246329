"""PostgreSQL for the tests: NUDGEBOT_TEST_PG names a server (.ci/postgres.sh starts a throwaway one, one cluster
for the whole run). Each pytest process (each xdist worker) makes one migrated database of its own at its first
PostgreSQL test, emptied before every test that uses it and dropped at the end; the few tests that need a database
nobody has migrated yet (`nudgebot db upgrade`) get a `fresh_database`. Unset outside CI, the PostgreSQL cases
skip; in CI they fail."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg
import pytest

from bot.store import migrate_database
from bot.store.engine import run_blocking


def server_url() -> str:
    """The server's URL; skips the test when none is configured (fails it in CI, where one must be)."""
    url = os.environ.get("NUDGEBOT_TEST_PG", "")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("NUDGEBOT_TEST_PG is unset in CI: .ci/run must start PostgreSQL (.ci/postgres.sh)")
        pytest.skip("no PostgreSQL for the tests: `source .ci/postgres.sh` starts one (sets NUDGEBOT_TEST_PG)")
    return url


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty (unmigrated) database on the test server; its URL. Dropped (with any connection left)
    afterwards."""
    url = server_url()
    name = f"nudgebot_test_{secrets.token_hex(6)}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(url, name)
    finally:
        await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def worker_database() -> Iterator[str]:
    """This process's migrated database (named after its xdist worker); its URL. Dropped afterwards."""
    url = server_url()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"nudgebot_test_{worker}_{secrets.token_hex(4)}"
    run_blocking(lambda: _admin(url, f'CREATE DATABASE "{name}"'))
    try:
        migrate_database(_with_database(url, name))
        yield _with_database(url, name)
    finally:
        run_blocking(lambda: _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def emptied(url: str) -> str:
    """Empty every table but the migrations ledger (ids start again from 1); the URL, for a test to use."""
    connection = await asyncpg.connect(url)
    try:
        tables = [row["tablename"] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")]
        await connection.execute(f"TRUNCATE {', '.join(f'public.{t}' for t in tables)} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()
    return url
