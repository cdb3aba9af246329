"""The inbox and its spool on real SQLite files: memory stays within its limit under a flood, order holds per
shard, and what waits at stop is moderated at the next start, with nothing lost while the spool is failing."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import MessageEvent, Platform
from bot.runtime.inbox import Inbox, Waiting, event_from_json, event_to_json, shard_of
from bot.store.spool import spool_path

START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def message(number: int, *, revision: int = 0) -> MessageEvent:
    """Message `number` (edits share its id), with text that names it."""
    return MessageEvent(platform=Platform.DISCORD, community_id="900", channel_id=f"{700 + number % 3}",
                        message_id=f"{10_000 + number // 2}", author_id=f"{number % 7}",
                        author_name="Ann Ó Súilleabháin", text=f"message {number} \u2014 \U0001f600 <@{number}>",
                        created_at=START + timedelta(seconds=number), revision=revision, is_edit=revision > 0,
                        targets=(str(number % 5),))


def inbox_rows(db_path: Path) -> int:
    """Messages waiting in the spool beside this incident database."""
    with sqlite3.connect(spool_path(db_path)) as connection:
        return int(connection.execute("SELECT count(*) FROM inbox").fetchone()[0])


async def take_all(inbox: Inbox, shards: int, count: int) -> list[Waiting]:
    """Drain `count` messages as the workers would, one shard at a time when it has one."""
    taken: list[Waiting] = []
    while len(taken) < count:
        for shard in range(shards):
            try:
                waiting = await asyncio.wait_for(inbox.get(shard), 0.05)
            except TimeoutError:
                continue
            taken.append(waiting)
            inbox.done(shard, waiting)
    return taken


def test_a_message_survives_the_trip_through_json() -> None:
    event = replace(message(5, revision=3), target_names=(("0", "Bea Ní Bhriain"),))
    assert event_from_json(event_to_json(event)) == event


async def test_a_flood_stays_within_the_memory_limit_and_comes_back_in_order(tmp_path: Path) -> None:
    db_path = tmp_path / "n.db"
    inbox = Inbox(db_path, Platform.DISCORD, shards=3, memory_limit=20, batch=8)
    await inbox.start()
    sent = [message(n) for n in range(300)]
    for event in sent:
        inbox.put(event)
    assert inbox.backlog == 300
    taken = await take_all(inbox, 3, 300)
    assert inbox.peak_in_memory <= 20
    assert inbox.peak_overflow <= 8  # arrivals wait in memory for a batch at most
    assert inbox.written_to_disk >= 250
    for shard in range(3):
        expected = [e for e in sent if shard_of(e, 3) == shard]
        assert [w.event for w in taken if shard_of(w.event, 3) == shard] == expected
    assert sorted(map(event_to_json, (w.event for w in taken))) == sorted(map(event_to_json, sent))
    assert inbox_rows(db_path) == 0 and inbox.backlog == 0
    await inbox.save()


async def test_what_waits_at_stop_is_moderated_first_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    sent = [message(n) for n in range(120)]
    inbox = Inbox(path, Platform.DISCORD, shards=1, memory_limit=10, batch=4)
    await inbox.start()
    for event in sent[:100]:
        inbox.put(event)
    first = await take_all(inbox, 1, 30)  # a restart with 70 waiting, in memory and on disk
    inbox.pause()
    assert await inbox.save() == 70
    assert inbox_rows(path) == 70

    inbox = Inbox(path, Platform.DISCORD, shards=1, memory_limit=10, batch=4)
    await inbox.start()
    assert inbox.backlog == 70
    for event in sent[100:]:
        inbox.put(event)  # new arrivals queue behind the leftovers
    rest = await take_all(inbox, 1, 90)
    await inbox.save()
    assert [w.event for w in first + rest] == sent
    assert inbox_rows(path) == 0


async def test_a_failing_spool_holds_the_flood_in_memory_and_loses_nothing(tmp_path: Path, caplog) -> None:
    inbox = Inbox(tmp_path / "n.db", Platform.DISCORD, shards=2, memory_limit=10, batch=5)
    await inbox.start()
    assert inbox._spool is not None
    inbox._spool._db.execute("PRAGMA query_only = ON")  # test-only: every write to the spool now fails
    sent = [message(n) for n in range(60)]
    for event in sent:
        inbox.put(event)
    assert any("inbox: the spool failed" in r.getMessage() for r in caplog.records)
    assert inbox.written_to_disk == 0 and inbox.backlog == 60
    inbox._spool._db.execute("PRAGMA query_only = OFF")  # the disk is back
    taken = await take_all(inbox, 2, 60)
    assert sorted(map(event_to_json, (w.event for w in taken))) == sorted(map(event_to_json, sent))
    assert inbox.backlog == 0
    await inbox.save()
