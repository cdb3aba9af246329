"""Several connections (as several processes would) writing one SQLite file at once: nothing lost or doubled."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.store import Store
from tests.core.test_store import incident


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
