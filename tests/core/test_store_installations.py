"""Slack installations and OAuth states in the store, on SQLite and on PostgreSQL: one installation per workspace,
deleted alone; a state is good once and until it expires."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store import Store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def store(db_target: Path | str) -> AsyncIterator[Store]:
    """A migrated store on a new SQLite file or PostgreSQL database."""
    opened = await Store.open(db_target)
    try:
        yield opened
    finally:
        await opened.close()


async def test_an_installation_per_workspace_replaced_by_a_reinstall(store: Store) -> None:
    await store.save_installation("", "T1", {"team_id": "T1", "bot_token": "xoxb-one"}, NOW)
    await store.save_installation("E1", "T2", {"team_id": "T2", "bot_token": "xoxb-two"}, NOW)
    await store.save_installation("", "T1", {"team_id": "T1", "bot_token": "xoxb-one-again"}, NOW)
    assert await store.find_installation("T1") == {"team_id": "T1", "bot_token": "xoxb-one-again"}
    assert (await store.find_installation("T2") or {})["bot_token"] == "xoxb-two"
    assert await store.find_installation("T3") is None
    assert await store.installed_teams() == ["T1", "T2"]


async def test_deleting_an_installation_leaves_the_others(store: Store) -> None:
    for team in ("T1", "T2"):
        await store.save_installation("", team, {"team_id": team, "bot_token": f"xoxb-{team}"}, NOW)
    assert await store.delete_installation("T1") is True
    assert await store.delete_installation("T1") is False  # already gone
    assert await store.installed_teams() == ["T2"]
    assert await store.find_installation("T1") is None


async def test_a_state_is_used_once_and_only_before_it_expires(store: Store) -> None:
    await store.save_oauth_state("fresh", NOW + timedelta(minutes=10), NOW)
    await store.save_oauth_state("stale", NOW + timedelta(minutes=1), NOW)
    assert await store.consume_oauth_state("never-issued", NOW) is False
    assert await store.consume_oauth_state("fresh", NOW) is True
    assert await store.consume_oauth_state("fresh", NOW) is False  # a replay
    later = NOW + timedelta(minutes=2)
    assert await store.consume_oauth_state("stale", later) is False  # expired, and cleared on the way
    assert await store.consume_oauth_state("stale", NOW) is False


async def test_handing_out_a_state_clears_the_expired_ones(store: Store) -> None:
    await store.save_oauth_state("old", NOW + timedelta(minutes=10), NOW)
    later = NOW + timedelta(minutes=11)
    await store.save_oauth_state("new", later + timedelta(minutes=10), later)
    assert [r["state_hash"] for r in await store._rows("SELECT state_hash FROM slack_oauth_states")] == ["new"]
