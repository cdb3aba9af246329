"""Closed DMs in the store, on SQLite and PostgreSQL: remembered per platform, community and member until a time,
moved on by a later refusal, gone once expired (the retention purge) or when the member is erased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import Platform
from bot.store import Store

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def test_closed_dms_are_remembered_until_their_time_for_that_community_only(db_target: Path | str) -> None:
    store = await Store.open(db_target)
    try:
        await store.remember_closed_dms(Platform.DISCORD, "g1", "u1", NOW + DAY)
        assert await store.closed_dms_until(Platform.DISCORD, "g1", "u1", NOW) == NOW + DAY
        assert await store.closed_dms_until(Platform.DISCORD, "g2", "u1", NOW) is None  # a setting per server
        assert await store.closed_dms_until(Platform.SLACK, "g1", "u1", NOW) is None
        assert await store.closed_dms_until(Platform.DISCORD, "g1", "u1", NOW + DAY) is None  # the day is over
        await store.remember_closed_dms(Platform.DISCORD, "g1", "u1", NOW + 2 * DAY)  # refused again: moved on
        assert await store.closed_dms_until(Platform.DISCORD, "g1", "u1", NOW + DAY) == NOW + 2 * DAY
    finally:
        await store.close()


async def test_the_purge_forgets_expired_ones_and_erasure_forgets_the_member(db_target: Path | str) -> None:
    store = await Store.open(db_target)
    try:
        await store.remember_closed_dms(Platform.DISCORD, "g1", "expired", NOW - timedelta(minutes=1))
        await store.remember_closed_dms(Platform.DISCORD, "g1", "current", NOW + DAY)
        await store.remember_closed_dms(Platform.DISCORD, "g1", "erased", NOW + DAY)
        await store.purge_content(NOW)
        await store.erase_author(Platform.DISCORD, "g1", "erased", NOW)
        rows = await store._rows("SELECT member_id FROM closed_dms ORDER BY member_id")
        assert [r["member_id"] for r in rows] == ["current"]
    finally:
        await store.close()
