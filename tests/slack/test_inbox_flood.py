"""A flood through the real Bolt app with a small inbox: memory stays within the limit, the rest waits in SQLite, and
messages still waiting when the app stops are moderated, once, after the restart."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from bot.detection.scanner import Scanner
from bot.store.spool import spool_path
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import ALICE, GENERAL, RunningApp, eventually, make_settings

BREACH = "text Priya on 07700 900{:03d}, that's her number"  # personal data (5.5.5), a different number each
CLEAN = "is the {:03d} bus to Beaumont Leys still running on Sundays?"


def inbox_rows(db_path: Path) -> int:
    """Messages waiting in the spool beside this incident database."""
    with contextlib.closing(sqlite3.connect(spool_path(db_path))) as db:
        return int(db.execute("SELECT count(*) FROM inbox").fetchone()[0])


def incident_messages(path: Path) -> Counter[str]:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return Counter(row[0] for row in db.execute("SELECT message_id FROM incidents"))


def chat(count: int) -> list[str]:
    """Every fifth message breaches."""
    return [BREACH.format(n) if n % 5 == 0 else CLEAN.format(n) for n in range(count)]


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_a_flood_waits_on_disk_beyond_the_memory_limit_and_is_all_moderated(
        mode: str, fake: FakeSlack, tmp_path: Path, shared_scanner: Scanner) -> None:
    settings = replace(make_settings(tmp_path, mode), inbox_memory=20)
    texts = chat(150)
    async with RunningApp(mode, fake, tmp_path, shared_scanner, settings=settings) as harness:
        await asyncio.gather(*(harness.event(payloads.message(ALICE, GENERAL, text)) for text in texts))
        await harness.settled(len(texts), timeout=60)
        assert harness.bot.intake.inbox.written_to_disk > 0  # the flood went past the limit
        assert harness.bot.intake.inbox.peak_in_memory <= 20 and harness.bot.intake.inbox.peak_overflow <= 10
        await eventually(lambda: len(fake.ephemerals(ALICE)) == 30, 30, "a nudge for each breach")
    assert sum(incident_messages(settings.db_path).values()) == 30
    assert sum(1 for text in texts if shared_scanner.scan(text).matches) == 30
    assert inbox_rows(settings.db_path) == 0


async def test_messages_waiting_at_stop_are_moderated_once_after_the_restart(
        fake: FakeSlack, tmp_path: Path, shared_scanner: Scanner) -> None:
    settings = replace(make_settings(tmp_path), inbox_memory=20)
    texts = chat(150)
    async with RunningApp("socket", fake, tmp_path, shared_scanner, settings=settings) as harness:
        store = harness.bot.core.store
        await store._write_lock.acquire()  # each worker stops at its first breach: a backlog builds up
        try:
            for text in texts:
                await harness.event(payloads.message(ALICE, GENERAL, text))
            await eventually(lambda: harness.bot.backlog + harness.bot.handled_events >= len(texts), 30,
                             "every event received")
        finally:
            store._write_lock.release()
    waiting = inbox_rows(settings.db_path)
    assert waiting > 0

    async with RunningApp("socket", fake, tmp_path, shared_scanner, settings=settings) as harness:
        await eventually(lambda: harness.bot.handled_events >= waiting and harness.bot.backlog == 0, 30,
                         "the saved messages moderated")
        await eventually(lambda: len(fake.ephemerals(ALICE)) == 30, 30, "a nudge for each breach")
    per_message = incident_messages(settings.db_path)
    assert sum(per_message.values()) == 30 and max(per_message.values()) == 1
    assert inbox_rows(settings.db_path) == 0
