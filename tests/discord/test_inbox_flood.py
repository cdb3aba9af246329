"""A flood through the fake gateway with a small inbox: memory stays within the limit, the rest waits in SQLite, and
messages still waiting when the bot stops are moderated, once, after the restart."""

from __future__ import annotations

import contextlib
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.detection.scanner import Scanner
from bot.settings import Settings, load_settings
from bot.store.spool import spool_path
from tests.discord.support import World, close_core, incident_rows, start_bot
from tests.fakes.discord_server import FakeDiscord

BREACH = "text Priya on 07700 900{:03d}, that's her number"  # personal data (5.5.5), a different number each
CLEAN = "is the {:03d} bus to Beaumont Leys still running on Sundays?"


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """A small inbox (20 messages in memory), and every breach nudged (no per-person nudge window)."""
    return load_settings(env_file=None, environ={
        "NUDGEBOT_DB": str(tmp_path / "nudgebot.db"), "DISCORD_TOKEN": fake.token,
        "NUDGEBOT_INBOX_MEMORY": "20", "NUDGEBOT_NUDGE_WINDOW_HOURS": "0"})


def inbox_rows(db_path: Path) -> int:
    """Messages waiting in the spool beside this incident database."""
    with contextlib.closing(sqlite3.connect(spool_path(db_path))) as db:
        return int(db.execute("SELECT count(*) FROM inbox").fetchone()[0])


def chat(count: int) -> list[str]:
    """Every fifth message breaches."""
    return [BREACH.format(n) if n % 5 == 0 else CLEAN.format(n) for n in range(count)]


def expected_hits(scanner: Scanner, texts: list[str]) -> int:
    return sum(1 for text in texts if scanner.scan(text).matches)


async def test_a_flood_waits_on_disk_beyond_the_memory_limit_and_is_all_moderated(
        world: World, core: Any, settings: Settings, shared_scanner: Scanner) -> None:
    running = await start_bot(world.fake, core, settings)
    try:
        texts = chat(200)
        for text in texts:
            await world.fake.post_message(world.general, world.alice, text)
        await running.idle(world.fake, 60, received=len(texts))
        cog: Any = running.bot.get_cog("Moderation")
        assert cog.inbox.written_to_disk > 0  # the flood went past the limit
        assert cog.inbox.peak_in_memory <= 20 and cog.inbox.peak_overflow <= 10  # limit, and half a batch
    finally:
        await running.stop()
    rows = incident_rows(settings.db_path)
    assert len(rows) == expected_hits(shared_scanner, texts) == 40
    assert all(r["delivery_status"] == "delivered" for r in rows)
    assert len(world.fake.dms_to(world.alice)) == 40
    assert inbox_rows(settings.db_path) == 0


async def test_messages_waiting_at_stop_are_moderated_once_after_the_restart(
        world: World, core: Any, open_test_core: Any, settings: Settings, shared_scanner: Scanner) -> None:
    running = await start_bot(world.fake, core, settings)
    texts = chat(150)
    cog: Any = running.bot.get_cog("Moderation")
    # Hold the database's write lock: each worker stops at its first breach, so a backlog builds up.
    await core.store._write_lock.acquire()
    try:
        for text in texts:
            await world.fake.post_message(world.general, world.bob, text)
        await world.fake.wait_for(lambda: cog.received == len(texts), 30, "every message received")
    finally:
        core.store._write_lock.release()
    await running.stop()  # workers finish the message in hand; the rest is saved for the next start
    waiting = inbox_rows(settings.db_path)
    assert waiting > 0
    assert cog.handled + waiting == len(texts)

    reopened = await open_test_core()
    try:
        restarted = await start_bot(world.fake, reopened, settings)
        try:
            again: Any = restarted.bot.get_cog("Moderation")
            await world.fake.wait_for(lambda: again.handled >= waiting and again.backlog == 0, 30,
                                      "the saved messages moderated")
            await restarted.idle(world.fake, 30)
        finally:
            await restarted.stop()
    finally:
        await close_core(reopened)  # its aiosqlite thread would keep pytest from exiting
    rows = incident_rows(settings.db_path)
    per_message = Counter(r["message_id"] for r in rows)
    assert len(rows) == expected_hits(shared_scanner, texts) == 30
    assert max(per_message.values()) == 1
    assert len(world.fake.dms_to(world.bob)) == 30
    assert inbox_rows(settings.db_path) == 0
