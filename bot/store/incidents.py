"""Incidents, their audit trail and members' feedback: recording, the outbox and the committee's queries."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.errors import InputError, UnknownIncident
from bot.models import (
    DeliveryStatus,
    Incident,
    IncidentEvent,
    IncidentQuery,
    IncidentStatus,
    NewIncident,
    Platform,
    Tier,
)
from bot.store.base import (
    LOCK_RETRIES,
    SYSTEM_ACTOR,
    StoreBase,
    StoreError,
    backoff,
    now_ts,
    parse_ts,
    to_event,
    to_incident,
    ts,
)

log = logging.getLogger(__name__)
FEEDBACK_KINDS = ("fixed", "mistake")
_NOTE_MAX = 2_000
_INSERT_INCIDENT = """INSERT INTO incidents (platform, community_id, channel_id, message_id, revision, permalink,
        author_id, author_name, targets, clauses, primary_clause, rules, severity, excerpt, content, created_at,
        delivery_status, recorded_at, tier, status, delivery_reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (platform, community_id, message_id, revision) DO NOTHING RETURNING id"""
_INSERT_INCIDENT_MANY = _INSERT_INCIDENT.removesuffix(" RETURNING id")
# A review-tier incident's nudge waits, suppressed with this reason, until a committee member confirms it.
HELD_REASON = "held for review: the nudge is sent only if the committee confirms it"
_BATCH_MAX = 500  # keys are bound 4 parameters each in the id lookup; SQLite allows 32,766


def query_filter(query: IncidentQuery) -> tuple[str, list[Any]]:
    """The WHERE clause (or "") and its bound parameters for a committee query; only column names are text."""
    conditions: list[str] = []
    params: list[Any] = []
    for column, value in (("platform", query.platform), ("community_id", query.community_id),
                          ("status", query.status), ("primary_clause", query.clause),
                          ("author_id", query.author_id), ("channel_id", query.channel_id)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(str(value))
    if query.since is not None:
        conditions.append("created_at >= ?")
        params.append(ts(query.since))
    if query.until is not None:
        conditions.append("created_at < ?")
        params.append(ts(query.until))
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


@dataclass(slots=True)
class _Pending:
    """An incident waiting for the next group commit, and the future its caller awaits."""

    values: tuple[Any, ...]
    key: tuple[str, str, str, int]
    future: asyncio.Future[tuple[int, bool]]


class IncidentStore(StoreBase):
    """Recording incidents, delivery marks, status changes and the committee's list."""

    async def record_incident(self, new: NewIncident) -> tuple[int, bool]:
        """Commit an incident; (id, True) when new, (existing id, False) when this message revision exists.

        Returns only once the incident is committed. Callers arriving together share one transaction (group
        commit): the commit, not the insert, is what costs, and the moderator records before every nudge.
        """
        if not new.clauses:
            raise InputError("an incident needs at least one clause")
        values = (new.platform.value, new.community_id, new.channel_id, new.message_id, new.revision,
                  new.permalink, new.author_id, new.author_name, json.dumps(list(new.targets)),
                  json.dumps(list(new.clauses)), new.clauses[0], json.dumps(list(new.rules)), new.severity.value,
                  new.excerpt, new.content, ts(new.created_at), new.delivery_status.value, now_ts(),
                  new.tier.value,
                  (IncidentStatus.REVIEW if new.tier is Tier.REVIEW else IncidentStatus.OPEN).value,
                  new.delivery_reason[:500])
        key = (new.platform.value, new.community_id, new.message_id, new.revision)
        pending = _Pending(values, key, asyncio.get_running_loop().create_future())
        flushing = self._record_flusher is not None and not self._record_flusher.done()
        if self._lone_recorder and not flushing and not self._record_queue and not self._write_lock.locked():
            # A lone caller (the last write was for one incident too) writes on its own task: no flusher task
            # and two fewer wake-ups per incident. Callers arriving meanwhile queue for the flusher, whose
            # group commit then turns this path off until writes are single again.
            await self._write_batch([pending])
            return pending.future.result()
        self._record_queue.append(pending)
        if self._record_flusher is None or self._record_flusher.done():
            self._record_flusher = asyncio.create_task(self._flush_records(), name="nudgebot-store-records")
        return await pending.future

    async def _flush_records(self) -> None:
        """Write queued incidents, everything queued so far in one transaction, until the queue is empty."""
        while self._record_queue:
            batch, self._record_queue = self._record_queue[:_BATCH_MAX], self._record_queue[_BATCH_MAX:]
            try:
                await self._write_batch(batch)
            except BaseException as exc:  # never leave a caller waiting for ever, even on cancellation
                for item in batch + self._record_queue:
                    if not item.future.done():
                        item.future.set_exception(exc if isinstance(exc, Exception) else
                                                  StoreError("the store closed before the incident was recorded"))
                self._record_queue = []
                if not isinstance(exc, Exception):
                    raise

    async def _write_batch(self, batch: list[_Pending]) -> None:
        """One transaction for the batch, retried with backoff while another process holds the lock."""
        for attempt in range(LOCK_RETRIES + 1):
            batch = [item for item in batch if not item.future.done()]  # a cancelled caller is not written
            if not batch:
                return
            try:
                async with self._write_lock:
                    results = await self._insert_batch(batch)
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == LOCK_RETRIES:
                    raise StoreError(f"cannot record incidents in {self.path}: {exc}") from None
                delay = backoff(attempt)
                log.warning("database locked; retrying", extra={"attempt": attempt + 1, "queued": len(batch),
                                                                "delay": round(delay, 3)})
                await asyncio.sleep(delay)
                continue
            self._lone_recorder = len(batch) == 1
            for item, result in zip(batch, results, strict=True):
                if not item.future.done():
                    item.future.set_result(result)
            return

    async def _insert_batch(self, batch: list[_Pending]) -> list[tuple[int, bool]]:
        db = self._db
        if len(batch) == 1:  # one statement is its own transaction: one round trip instead of five
            result = await self._insert_one(db, batch[0])
            self._committed()
            return [result]
        # A few round trips whatever the batch size: which keys exist, insert all, read every id back.
        keys = list(dict.fromkeys(item.key for item in batch))
        lookup = ("SELECT id, platform, community_id, message_id, revision FROM incidents "
                  "WHERE (platform, community_id, message_id, revision) IN "  # the subquery form uses the index
                  "(SELECT column1, column2, column3, column4 FROM "
                  f"(VALUES {', '.join(['(?, ?, ?, ?)'] * len(keys))}))")
        flat = [value for key in keys for value in key]
        await db.execute("BEGIN IMMEDIATE")
        try:
            existed = {tuple(row)[1:] for row in await db.execute_fetchall(lookup, flat)}
            await db.executemany(_INSERT_INCIDENT_MANY, [item.values for item in batch])
            ids = {tuple(row)[1:]: int(row["id"]) for row in await db.execute_fetchall(lookup, flat)}
            await db.execute("COMMIT")
            self._committed()
        except BaseException:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise
        results = []
        for item in batch:  # the same message twice in one batch: the first one made it
            results.append((ids[item.key], item.key not in existed))
            existed.add(item.key)
        return results

    @staticmethod
    async def _insert_one(db: Any, item: _Pending) -> tuple[int, bool]:
        rows = await db.execute_fetchall(_INSERT_INCIDENT, item.values)
        if rows:
            return int(rows[0]["id"]), True
        existing = await db.execute_fetchall(
            "SELECT id FROM incidents WHERE platform = ? AND community_id = ? AND message_id = ? AND revision = ?",
            item.key)
        return int(existing[0]["id"]), False

    async def get_incident(self, incident_id: int) -> Incident | None:
        """One incident by id, or None."""
        row = await self._one("SELECT * FROM incidents WHERE id = ?", (incident_id,))
        return to_incident(row) if row else None

    async def delivery_status(self, incident_id: int) -> DeliveryStatus | None:
        """What happened to an incident's nudge so far (a primary-key read), or None when there is no such incident."""
        row = await self._one("SELECT delivery_status FROM incidents WHERE id = ?", (incident_id,))
        return DeliveryStatus(row["delivery_status"]) if row else None

    async def latest_incident_for_message(self, platform: Platform, community_id: str,
                                          message_id: str) -> Incident | None:
        """The incident for the highest recorded revision of a message, or None."""
        row = await self._one(
            "SELECT * FROM incidents WHERE platform = ? AND community_id = ? AND message_id = ? "
            "ORDER BY revision DESC LIMIT 1", (platform.value, community_id, message_id))
        return to_incident(row) if row else None

    async def set_delivery(self, incident_id: int, status: DeliveryStatus, reason: str = "") -> None:
        """Record what happened to the nudge (the outbox marks); an audit event goes with it."""

        async def work(db: Any) -> None:
            cursor = await db.execute(
                "UPDATE incidents SET delivery_status = ?, delivery_reason = ?, "
                "delivery_attempts = delivery_attempts + 1 WHERE id = ?", (status.value, reason[:500], incident_id))
            if cursor.rowcount:
                await db.execute(
                    "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) "
                    "VALUES (?, ?, ?, ?, ?)", (incident_id, SYSTEM_ACTOR, f"nudge {status.value}", reason[:500],
                                               now_ts()))

        await self._write(work)

    async def pending_deliveries(self, platform: Platform | None = None) -> list[Incident]:
        """Incidents whose nudge has not been delivered yet (the outbox), oldest first."""
        sql = "SELECT * FROM incidents WHERE delivery_status = 'pending'"
        params: list[Any] = []
        if platform is not None:
            sql += " AND platform = ?"
            params.append(platform.value)
        return [to_incident(r) for r in await self._rows(sql + " ORDER BY id", params)]

    async def nudged_since(self, platform: Platform, community_id: str, author_id: str, clause: str,
                           since: datetime) -> bool:
        """True when this author already has a nudge pending or delivered for this primary clause since then."""
        row = await self._one(
            "SELECT 1 FROM incidents WHERE platform = ? AND community_id = ? AND author_id = ? AND created_at >= ? "
            "AND primary_clause = ? AND delivery_status IN ('pending', 'delivered') LIMIT 1",
            (platform.value, community_id, author_id, ts(since), clause))
        return row is not None

    async def set_status(self, incident_id: int, status: IncidentStatus, actor_id: str, action: str,
                         note: str = "", *, expected: Collection[IncidentStatus] | None = None,
                         release_held_nudge: bool = False) -> Incident | None:
        """Move an incident to a status and leave an audit event; None when there is no such incident.

        With `expected`, the change happens only if the incident is still in one of those statuses (None
        otherwise), so two committee members acting at once cannot both win. With `release_held_nudge`, a nudge
        held for review (HELD_REASON) becomes pending in the same transaction: the outbox then owes it, exactly
        once, even if the bot restarts before sending it.
        """
        release = ("delivery_status = CASE WHEN delivery_status = 'suppressed' AND delivery_reason = ? "
                   "THEN 'pending' ELSE delivery_status END, "
                   "delivery_reason = CASE WHEN delivery_status = 'suppressed' AND delivery_reason = ? "
                   "THEN '' ELSE delivery_reason END, ")
        sql = f"UPDATE incidents SET {release if release_held_nudge else ''}status = ? WHERE id = ?"
        params: list[Any] = [*([HELD_REASON, HELD_REASON] if release_held_nudge else []), status.value, incident_id]
        if expected is not None:
            sql += f" AND status IN ({', '.join('?' * len(expected))})"
            params.extend(s.value for s in expected)

        async def work(db: Any) -> Incident | None:
            rows = await db.execute_fetchall(sql + " RETURNING *", params)
            if not rows:
                return None
            await db.execute(
                "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) VALUES (?, ?, ?, ?, ?)",
                (incident_id, actor_id, action, note[:_NOTE_MAX], now_ts()))
            return to_incident(rows[0])

        return await self._write(work)

    async def add_event(self, incident_id: int, actor_id: str, action: str, note: str = "") -> None:
        """Add a line to an incident's audit trail."""

        async def work(db: Any) -> None:
            await db.execute(
                "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) VALUES (?, ?, ?, ?, ?)",
                (incident_id, actor_id, action, note[:_NOTE_MAX], now_ts()))

        try:
            await self._write(work)
        except sqlite3.IntegrityError:  # the foreign key names no incident: say which
            raise UnknownIncident(incident_id) from None

    async def events(self, incident_id: int) -> list[IncidentEvent]:
        """An incident's audit trail in the order it was written, starting with its recording."""
        recorded = await self._one("SELECT rules, recorded_at FROM incidents WHERE id = ?", (incident_id,))
        if recorded is None:
            return []
        # The first line comes from the incident row itself: one row written per incident keeps recording fast.
        first = IncidentEvent(incident_id=incident_id, actor_id=SYSTEM_ACTOR, action="recorded",
                              note=", ".join(json.loads(recorded["rules"])),
                              created_at=parse_ts(recorded["recorded_at"]))
        rows = await self._rows("SELECT * FROM incident_events WHERE incident_id = ? ORDER BY id", (incident_id,))
        return [first, *(to_event(r) for r in rows)]

    async def hostile_incidents(self, platform: Platform, community_id: str, author_id: str, target_id: str,
                                since: datetime) -> list[Incident]:
        """The author's incidents aimed at the target since then, oldest first (4.3).

        Dismissed ones never count, and neither do those held for review: a held incident is uncertain, so it
        counts once the committee confirms it.
        """
        rows = await self._rows(
            "SELECT * FROM incidents WHERE platform = ? AND community_id = ? AND author_id = ? AND created_at >= ? "
            "AND status NOT IN ('dismissed', 'review') "
            "AND EXISTS (SELECT 1 FROM json_each(incidents.targets) WHERE value = ?) "
            "ORDER BY created_at, id", (platform.value, community_id, author_id, ts(since), target_id))
        return [to_incident(r) for r in rows]

    async def author_incident_count(self, platform: Platform, community_id: str, author_id: str) -> int:
        """How many incidents this author has (dismissed ones, and those still held for review, do not count)."""
        row = await self._one(
            "SELECT COUNT(*) AS n FROM incidents WHERE platform = ? AND community_id = ? AND author_id = ? "
            "AND status NOT IN ('dismissed', 'review')", (platform.value, community_id, author_id))
        return int(row["n"]) if row else 0

    async def add_feedback(self, incident_id: int, user_id: str, kind: str, note: str, now: datetime) -> None:
        """A member says the nudge was fixed or a mistake; kept for the committee, with an audit event."""
        if kind not in FEEDBACK_KINDS:
            raise InputError(f"feedback kind {kind!r} is not one of {', '.join(FEEDBACK_KINDS)}")

        async def work(db: Any) -> None:
            found = await db.execute_fetchall("SELECT 1 FROM incidents WHERE id = ?", (incident_id,))
            if not found:
                raise UnknownIncident(incident_id)
            await db.execute(
                "INSERT INTO feedback (incident_id, user_id, kind, note, created_at) VALUES (?, ?, ?, ?, ?)",
                (incident_id, user_id, kind, note[:_NOTE_MAX], ts(now)))
            await db.execute(
                "INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) VALUES (?, ?, ?, ?, ?)",
                (incident_id, user_id, f"feedback {kind}", note[:_NOTE_MAX], ts(now)))

        await self._write(work)

    async def list_incidents(self, query: IncidentQuery) -> list[Incident]:
        """The committee's list: newest first, filtered, one page."""
        where, params = query_filter(query)
        params.extend([max(1, min(query.limit, 1000)), max(0, query.offset)])
        rows = await self._rows(
            f"SELECT * FROM incidents {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", params)
        return [to_incident(r) for r in rows]

    async def count_incidents(self, query: IncidentQuery | None = None) -> int:
        """How many incidents match the query's filters (limit and offset ignored), or all of them."""
        where, params = query_filter(query) if query is not None else ("", [])
        row = await self._one(f"SELECT COUNT(*) AS n FROM incidents {where}", params)
        return int(row["n"]) if row else 0
