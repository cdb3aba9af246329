"""PostgreSQL for the tests: NUDGEBOT_TEST_PG names a server (.ci/postgres.sh starts a throwaway one); each test
gets a database of its own, dropped afterwards. Unset outside CI, the PostgreSQL cases skip; in CI they fail."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest


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


@asynccontextmanager
async def fresh_database() -> AsyncIterator[str]:
    """A new, empty database on the test server; its URL. Dropped (with any connection left) afterwards."""
    url = server_url()
    name = f"nudgebot_test_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(url, name)
    finally:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
