"""The incident store: migrations and a locked database on real SQLite files; idempotence, concurrent writers,
the outbox and bound filters on both backends (`db_target`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.models import DeliveryStatus, IncidentQuery, IncidentStatus, NewIncident, Platform, Severity
from bot.store import MigrationError, Store, migrate_database, migration_status
from bot.store.migrate import available


def incident(message_id: str, revision: int = 0, author: str = "u1") -> NewIncident:
    return NewIncident(platform=Platform.DISCORD, community_id="g1", channel_id="c1", message_id=message_id,
                       author_id=author, clauses=("5.5.1",), rules=("hate.threat",), severity=Severity.HIGH,
                       excerpt="k**l", created_at=datetime.now(UTC), revision=revision)


def shipped_plus(tmp_path: Path, *extra: tuple[str, str]) -> Path:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for migration in available():
        (folder / f"{migration.name}.sql").write_text(migration.sql, encoding="utf-8")
    for name, sql in extra:
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def test_migrates_from_empty_and_reports_status(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    assert [m.name for m in migration_status(db).pending] == [m.name for m in available()]
    applied = migrate_database(db)
    assert [m.name for m in applied] == [m.name for m in available()]
    state = migration_status(db)
    assert state.pending == () and state.current == available()[-1].version
    assert migrate_database(db) == []  # a second upgrade has nothing to do


def test_upgrades_from_every_earlier_version(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    folder = shipped_plus(tmp_path, ("9001_add_note.sql", "ALTER TABLE feedback ADD COLUMN extra TEXT;"),
                          ("9002_index.sql", "CREATE INDEX feedback_extra ON feedback (extra);"))
    every = available(folder)
    for upto in range(1, len(every) + 1):
        fresh = tmp_path / f"v{upto}.db"
        migrate_database(fresh, every[:upto])
        migrate_database(fresh, every)
        assert migration_status(fresh, every).pending == ()
    migrate_database(db, every)
    columns = [row[1] for row in sqlite3.connect(db).execute("PRAGMA table_info(feedback)")]
    assert "extra" in columns


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    migrate_database(db)
    before = migration_status(db).current
    folder = shipped_plus(tmp_path, ("9001_broken.sql",
                                     "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);"))
    with pytest.raises(MigrationError, match=r"9001_broken\.sql failed and was rolled back"):
        migrate_database(db, available(folder))
    tables = {row[0] for row in sqlite3.connect(db).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "half_done" not in tables
    assert migration_status(db).current == before


def test_a_changed_migration_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    migrate_database(db)
    first = available()[0]
    folder = tmp_path / "changed"
    folder.mkdir()
    (folder / f"{first.name}.sql").write_text(first.sql + "\n-- edited after release\n", encoding="utf-8")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        migration_status(db, available(folder))


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    folder = shipped_plus(tmp_path, ("9001_future.sql", "CREATE TABLE future (x INTEGER);"))
    migrate_database(db, available(folder))
    with pytest.raises(MigrationError, match="upgrade nudgebot"):
        migration_status(db)


async def test_recording_is_idempotent_per_message_revision(db_target: Path | str) -> None:
    store = await Store.open(db_target)
    try:
        first, created = await store.record_incident(incident("m1"))
        again, created_again = await store.record_incident(incident("m1"))
        edited, created_edit = await store.record_incident(incident("m1", revision=1))
        assert (created, created_again, created_edit) == (True, False, True)
        assert again == first != edited
        assert await store.count_incidents() == 2
    finally:
        await store.close()


async def test_100_concurrent_writers_lose_nothing_and_duplicate_nothing(db_target: Path | str) -> None:
    store = await Store.open(db_target)

    async def writer(task: int) -> list[bool]:
        # Tasks overlap on purpose: task t also re-sends the messages of task t-1, as a retrying adapter would.
        results = []
        for i in range(100):
            results.append((await store.record_incident(incident(f"t{task}-m{i}")))[1])
            if task and i % 10 == 0:
                results.append((await store.record_incident(incident(f"t{task - 1}-m{i}")))[1])
        return results

    try:
        outcomes = await asyncio.gather(*(writer(t) for t in range(100)))
        assert sum(sum(o) for o in outcomes) == 100 * 100
        assert await store.count_incidents() == 100 * 100
        rows = await store.list_incidents(IncidentQuery(limit=1000))
        assert len({(r.message_id, r.revision) for r in rows}) == len(rows)
    finally:
        await store.close()


class RetrySeen(logging.Handler):
    """Sets an event when the store logs that it is retrying a locked database."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "locked" in record.getMessage():
            self.seen.set()


async def test_a_locked_database_is_retried_not_lost(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    store = await Store.open(db, busy_timeout_ms=50)
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    retries = RetrySeen()
    logging.getLogger("bot.store").addHandler(retries)

    async def release_after_a_retry() -> None:
        await retries.seen.wait()  # the store has hit the lock at least once and is backing off
        holder.execute("COMMIT")

    try:
        releaser = asyncio.create_task(release_after_a_retry())
        incident_id, created = await asyncio.wait_for(store.record_incident(incident("locked")), timeout=30)
        await releaser
        assert retries.seen.is_set() and created
        assert (await store.get_incident(incident_id)) is not None
        assert await store.count_incidents() == 1
    finally:
        logging.getLogger("bot.store").removeHandler(retries)
        holder.close()
        await store.close()


async def test_outbox_lists_undelivered_until_marked(db_target: Path | str) -> None:
    store = await Store.open(db_target)
    try:
        a, _ = await store.record_incident(incident("a"))
        b, _ = await store.record_incident(incident("b"))
        await store.set_delivery(a, DeliveryStatus.DELIVERED)
        assert [i.id for i in await store.pending_deliveries()] == [b]
        refused = await store.get_incident(a)
        assert refused is not None and refused.delivery_status is DeliveryStatus.DELIVERED
    finally:
        await store.close()


async def test_filter_values_are_bound_not_formatted(db_target: Path | str) -> None:
    store = await Store.open(db_target)
    try:
        await store.record_incident(incident("x"))
        hostile = IncidentQuery(author_id="u1' OR '1'='1", channel_id="c1; DROP TABLE incidents; --")
        assert await store.list_incidents(hostile) == []
        assert await store.count_incidents() == 1
    finally:
        await store.close()


async def test_incidents_recorded_before_tiers_survive_the_tier_migration(tmp_path: Path) -> None:
    """0002 rebuilds `incidents` (a new status in its CHECK): rows, audit trail and foreign keys all survive."""
    db = tmp_path / "n.db"
    every = available()
    migrate_database(db, every[:1])
    connection = sqlite3.connect(db)
    connection.execute(
        "INSERT INTO incidents (platform, community_id, channel_id, message_id, author_id, clauses, primary_clause, "
        "rules, severity, excerpt, created_at, recorded_at, status, delivery_status) VALUES ('discord', 'g1', 'c1', "
        "'m1', 'u1', '[\"5.5.3\"]', '5.5.3', '[\"insult.x\"]', 'low', 'i***t', '2026-11-02T09:00:00+00:00', "
        "'2026-11-02T09:00:01+00:00', 'confirmed', 'delivered')")
    connection.execute("INSERT INTO incident_events (incident_id, actor_id, action, created_at) "
                       "VALUES (1, 'chair', 'confirm', '2026-11-02T10:00:00+00:00')")
    connection.commit()
    connection.close()
    migrate_database(db, every)
    store = await Store.open(db)
    try:
        incident = await store.get_incident(1)
        assert incident is not None
        assert (incident.status.value, incident.delivery_status.value, incident.tier.value) == (
            "confirmed", "delivered", "nudge")
        assert [e.action for e in await store.events(1)] == ["recorded", "confirm"]
        await store.set_status(1, IncidentStatus.REVIEW, "chair", "test")  # the new status is allowed now
    finally:
        await store.close()
    connection = sqlite3.connect(db)
    connection.execute("PRAGMA foreign_keys = ON")
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.execute("DELETE FROM incidents WHERE id = 1")  # the cascade still points at the rebuilt table
    assert connection.execute("SELECT COUNT(*) FROM incident_events").fetchone() == (0,)
    connection.close()
