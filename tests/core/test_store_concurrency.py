"""Several connections (as several processes would) writing one SQLite file at once: nothing lost or doubled."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.store import Store
from tests.core.test_store import RetrySeen, incident


async def test_100_tasks_over_four_connections_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    stores = [await Store.open(db) for _ in range(4)]

    async def writer(task: int) -> int:
        store = stores[task % len(stores)]
        created = 0
        for i in range(100):
            created += (await store.record_incident(incident(f"t{task}-m{i}")))[1]
            if i % 25 == 0:  # the same message delivered again through another connection (a replayed event)
                replay = stores[(task + 1) % len(stores)]
                created += (await replay.record_incident(incident(f"t{task}-m{i}")))[1]
        return created

    try:
        created = await asyncio.gather(*(writer(t) for t in range(100)))
        assert sum(created) == 100 * 100
    finally:
        for store in stores:
            await store.close()
    rows = sqlite3.connect(db).execute("SELECT message_id, COUNT(*) FROM incidents GROUP BY message_id").fetchall()
    assert len(rows) == 100 * 100 and {count for _, count in rows} == {1}
    replays = sqlite3.connect(db).execute("SELECT COUNT(*) FROM incident_events").fetchone()[0]
    assert replays == 0  # a replayed message writes nothing at all


async def test_the_same_message_twice_in_one_group_commit_is_one_incident(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "n.db")
    try:
        results = await asyncio.gather(*(store.record_incident(incident(f"m{i % 5}")) for i in range(20)))
        ids_by_message: dict[int, set[int]] = {}
        for i, (incident_id, _) in enumerate(results):
            ids_by_message.setdefault(i % 5, set()).add(incident_id)
        assert all(len(ids) == 1 for ids in ids_by_message.values())
        assert sum(created for _, created in results) == 5
        assert await store.count_incidents() == 5
    finally:
        await store.close()


async def test_a_cancelled_caller_does_not_hold_up_or_break_the_others(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "n.db")
    try:
        tasks = [asyncio.create_task(store.record_incident(incident(f"m{i}"))) for i in range(30)]
        tasks[7].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(done[7], asyncio.CancelledError)
        assert all(isinstance(r, tuple) and r[1] for i, r in enumerate(done) if i != 7)
        assert await store.count_incidents() in (29, 30)  # m7 may already have been in a transaction
        again = await store.record_incident(incident("m7"))
        assert (await store.get_incident(again[0])) is not None
    finally:
        await store.close()


async def test_callers_queued_behind_a_locked_database_are_all_written(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    store = await Store.open(db, busy_timeout_ms=20)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    retries = RetrySeen()
    logging.getLogger("bot.store").addHandler(retries)
    try:
        writes = [asyncio.create_task(store.record_incident(incident(f"m{i}"))) for i in range(40)]
        await asyncio.wait_for(retries.seen.wait(), timeout=30)  # the batch hit the lock and is backing off
        assert not any(w.done() for w in writes)
        holder.execute("COMMIT")
        results = await asyncio.wait_for(asyncio.gather(*writes), timeout=30)
        assert sum(created for _, created in results) == 40
        assert await store.count_incidents() == 40
    finally:
        logging.getLogger("bot.store").removeHandler(retries)
        holder.close()
        await store.close()


async def test_the_wal_is_checkpointed_off_the_write_path_and_starts_again(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.store.base.CHECKPOINT_EVERY", 10)
    monkeypatch.setattr("bot.store.base.WAL_RESTART_FRAMES", 1)
    db = tmp_path / "n.db"
    store = await Store.open(db)
    try:
        for i in range(10):
            await store.record_incident(incident(f"m{i}"))
        checkpoint = store._checkpoint  # started in the background by the 10th commit, the only one so far
        assert checkpoint is not None
        await asyncio.wait_for(checkpoint, timeout=30)
        frames_before = sqlite3.connect(db).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        await store.record_incident(incident("after"))  # the WAL was caught up: this write starts it again
        frames_after = sqlite3.connect(db).execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
        assert 0 < frames_after < frames_before / 2, (frames_before, frames_after)
    finally:
        await store.close()
    reader = sqlite3.connect(db)
    assert reader.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] == 11
    assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_lone_and_concurrent_callers_each_get_a_committed_incident(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    store = await Store.open(db)
    reader = sqlite3.connect(db, isolation_level=None)

    def committed(message_id: str) -> int:
        return reader.execute("SELECT COUNT(*) FROM incidents WHERE message_id = ?", (message_id,)).fetchone()[0]

    try:
        for i in range(5):  # one caller at a time: each is on disk for another connection as soon as it returns
            assert (await store.record_incident(incident(f"alone{i}")))[1] and committed(f"alone{i}") == 1
        # Callers arriving while a lone write is in flight queue behind it, then go on in group commits.
        results = await asyncio.gather(*(store.record_incident(incident(f"crowd{i}")) for i in range(60)))
        assert sum(created for _, created in results) == 60 and len({i for i, _ in results}) == 60
        assert all(committed(f"crowd{i}") == 1 for i in range(60))
        incident_id, created = await store.record_incident(incident("alone-again"))
        assert created and committed("alone-again") == 1
        assert await store.record_incident(incident("alone-again")) == (incident_id, False)
    finally:
        reader.close()
        await store.close()
