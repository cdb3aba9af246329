"""Fixtures for the moderation-pipeline tests: scanner, policy, clock, core (tests/core/pipeline.py) and a store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.core.pipeline import clock, core, policy, scanner

__all__ = ["clock", "core", "policy", "scanner", "store"]


@pytest.fixture
async def store(db_target: Path | str) -> AsyncIterator[Store]:
    """A migrated store, on a fresh SQLite file and on a fresh PostgreSQL database, closed after the test."""
    opened = await Store.open(db_target)
    try:
        yield opened
    finally:
        await opened.close()
