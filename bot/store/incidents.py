"""Incidents, their audit trail and members' feedback: recording, the outbox and the committee's queries."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

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
    Db,
    StoreBase,
    StoreError,
    backoff,
    now_ts,
    parse_ts,
    to_event,
    to_incident,
    ts,
)
from bot.store.engine import retryable
from bot.store.tables import INCIDENT_KEY, incidents, insert_for
from bot.store.target import shown

log = logging.getLogger(__name__)
FEEDBACK_KINDS = ("fixed", "mistake")
_NOTE_MAX = 2_000
# A review-tier incident's nudge waits, suppressed with this reason, until a committee member confirms it.
HELD_REASON = "held for review: the nudge is sent only if the committee confirms it"
_BATCH_MAX = 500  # incidents in one group commit (SQLite's id lookup binds 4 values each; it allows 32,766)
_KEY_LOOKUPS: dict[int, str] = {}
_INSERTS: dict[tuple[str, tuple[str, ...]], Any] = {}
# What SQLite gives a new row's INTEGER PRIMARY KEY: one more than the largest, and only at the very largest does it
# pick at random (https://sqlite.org/autoinc.html).
_LAST_ROWIDS = "SELECT last_insert_rowid() AS last, max(id) AS top FROM incidents"
_EVENT = ("INSERT INTO incident_events (incident_id, actor_id, action, note, created_at) "
          "VALUES (:incident_id, :actor_id, :action, :note, :created_at)")


def query_filter(query: IncidentQuery) -> tuple[str, dict[str, Any]]:
    """The WHERE clause (or "") and its bound parameters for a committee query; only column names are text."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    for column, value in (("platform", query.platform), ("community_id", query.community_id),
                          ("status", query.status), ("primary_clause", query.clause),
                          ("author_id", query.author_id), ("channel_id", query.channel_id)):
        if value is not None:
            conditions.append(f"{column} = :{column}")
            params[column] = str(value)
    if query.since is not None:
        conditions.append("created_at >= :since")
        params["since"] = ts(query.since)
    if query.until is not None:
        conditions.append("created_at < :until")
        params["until"] = ts(query.until)
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


def like_json_item(value: str) -> str:
    """A LIKE pattern matching a JSON list that holds `value` (escape character: backslash)."""
    needle = json.dumps(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{needle}%"


@dataclass(slots=True)
class _Pending:
    """An incident waiting for the next group commit, and the future its caller awaits."""

    values: dict[str, Any]
    key: tuple[str, str, str, int]
    future: asyncio.Future[tuple[int, bool]]


class IncidentStore(StoreBase):
    """Recording incidents, delivery marks, status changes and the committee's list."""

    def _insert_incident(self, *returning: str) -> Any:
        """INSERT ... ON CONFLICT (platform, community, message, revision) DO NOTHING RETURNING ..., built once
        per dialect (and, being the same object every call, compiled once: see Db).

        The unique key is what makes every process record a message revision once: an insert that loses the
        race returns nothing, and the caller reads the winner's id.
        """
        statement = _INSERTS.get((self.dialect, returning))
        if statement is None:
            statement = insert_for(self.dialect)(incidents).on_conflict_do_nothing(index_elements=INCIDENT_KEY)
            if returning:
                statement = statement.returning(*(incidents.c[name] for name in returning))
            _INSERTS[(self.dialect, returning)] = statement
        return statement

    @staticmethod
    def _key_lookup(count: int) -> str:
        """SQLite's words for the ids of `count` message revisions (4 positional values each), built once per
        count: the VALUES subquery form is the one SQLite's planner answers from the unique index."""
        built = _KEY_LOOKUPS.get(count)
        if built is None:
            built = _KEY_LOOKUPS[count] = (
                "SELECT id, platform, community_id, message_id, revision FROM incidents "
                "WHERE (platform, community_id, message_id, revision) IN "
                f"(SELECT column1, column2, column3, column4 FROM (VALUES {', '.join(['(?, ?, ?, ?)'] * count)}))")
        return built

    async def record_incident(self, new: NewIncident) -> tuple[int, bool]:
        """Commit an incident; (id, True) when new, (existing id, False) when this message revision exists.

        Returns only once the incident is committed. Callers arriving together share one transaction (group
        commit): the commit, not the insert, is what costs, and the moderator records before every nudge.
        """
        if not new.clauses:
            raise InputError("an incident needs at least one clause")
        values = {"platform": new.platform.value, "community_id": new.community_id, "channel_id": new.channel_id,
                  "message_id": new.message_id, "revision": new.revision, "permalink": new.permalink,
                  "author_id": new.author_id, "author_name": new.author_name,
                  "targets": json.dumps(list(new.targets)), "clauses": json.dumps(list(new.clauses)),
                  "primary_clause": new.clauses[0], "rules": json.dumps(list(new.rules)),
                  "severity": new.severity.value, "excerpt": new.excerpt, "content": new.content,
                  "created_at": ts(new.created_at), "delivery_status": new.delivery_status.value,
                  "recorded_at": now_ts(), "tier": new.tier.value,
                  "status": (IncidentStatus.REVIEW if new.tier is Tier.REVIEW else IncidentStatus.OPEN).value,
                  "delivery_reason": new.delivery_reason[:500]}
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
            except SQLAlchemyError as exc:
                if not retryable(exc) or attempt == LOCK_RETRIES:
                    raise StoreError(f"cannot record incidents in {shown(self.target)}: "
                                     f"{getattr(exc, 'orig', None) or exc}") from None
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
        if len(batch) == 1:  # one statement is its own transaction: one round trip instead of three
            result = await self._insert_one(self._db, batch[0])
            self._committed()
            return [result]

        async def work(db: Db) -> tuple[set[tuple[Any, ...]], dict[tuple[Any, ...], int]]:
            if self.postgresql:
                # One multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING through SQLAlchemy's insertmanyvalues
                # (one prepared statement whatever the batch size); only the keys it did not return (recorded
                # before, by this process or another) are looked up.
                rows = await db.fetch_many(self._insert_incident("id", *INCIDENT_KEY), [i.values for i in batch])
                ids = {tuple(row[k] for k in INCIDENT_KEY): int(row["id"]) for row in rows}
                made = set(ids)
                for key in dict.fromkeys(item.key for item in batch if item.key not in ids):
                    ids[key] = await self._existing_id(db, key)
                return made, ids
            # SQLite: the one-row INSERT ... ON CONFLICT DO NOTHING, compiled once, run for the whole batch as one
            # executemany (one prepared statement stepped per row: a multi-row statement per batch size cost 258
            # against 169 µs CPU per incident with 50 callers at 1M rows, docs/review.md).
            inserted = await db.sqlite_many(self._insert_incident(), [item.values for item in batch])
            if inserted == len(batch):
                # Every row went in (none recorded before, no message twice): under the write lock (BEGIN
                # IMMEDIATE) each took the next id in batch order, so the ids are the last one's and those just
                # below it. The largest id being the last one inserted shows SQLite did not pick at random.
                last, top = (await db.sqlite_fetch(_LAST_ROWIDS, ()))[0]
                if last == top:
                    first = int(last) - inserted + 1
                    ids = {item.key: first + n for n, item in enumerate(batch)}
                    return set(ids), ids
            # Some keys were there already: read every key's id back at once. The rows this transaction inserted
            # are the ones with the highest ids: every existing row's id is below theirs.
            keys = list(dict.fromkeys(item.key for item in batch))
            found = sorted((await db.sqlite_fetch(self._key_lookup(len(keys)), [v for key in keys for v in key])),
                           key=lambda row: row["id"])
            ids = {(row["platform"], row["community_id"], row["message_id"], row["revision"]): int(row["id"])
                   for row in found}
            made = {(row["platform"], row["community_id"], row["message_id"], row["revision"])
                    for row in found[len(found) - inserted:]}
            return made, ids

        made, ids = await self._transaction(work)
        results = []
        for item in batch:  # the same message twice in one batch: the first one made it
            results.append((ids[item.key], item.key in made))
            made.discard(item.key)
        return results

    async def _insert_one(self, db: Db, item: _Pending) -> tuple[int, bool]:
        rows = await db.fetch(self._insert_incident("id"), item.values)
        if rows:
            return int(rows[0]["id"]), True
        return await self._existing_id(db, item.key), False

    @staticmethod
    async def _existing_id(db: Db, key: tuple[Any, ...]) -> int:
        rows = await db.fetch("SELECT id FROM incidents WHERE platform = :p AND community_id = :c "
                              "AND message_id = :m AND revision = :r",
                              {"p": key[0], "c": key[1], "m": key[2], "r": key[3]})
        return int(rows[0]["id"])

    async def get_incident(self, incident_id: int) -> Incident | None:
        """One incident by id, or None."""
        row = await self._one("SELECT * FROM incidents WHERE id = :id", {"id": incident_id})
        return to_incident(row) if row else None

    async def delivery_status(self, incident_id: int) -> DeliveryStatus | None:
        """What happened to an incident's nudge so far (a primary-key read), or None when there is no such incident."""
        row = await self._one("SELECT delivery_status FROM incidents WHERE id = :id", {"id": incident_id})
        return DeliveryStatus(row["delivery_status"]) if row else None

    async def latest_incident_for_message(self, platform: Platform, community_id: str,
                                          message_id: str) -> Incident | None:
        """The incident for the highest recorded revision of a message, or None."""
        row = await self._one(
            "SELECT * FROM incidents WHERE platform = :p AND community_id = :c AND message_id = :m "
            "ORDER BY revision DESC LIMIT 1", {"p": platform.value, "c": community_id, "m": message_id})
        return to_incident(row) if row else None

    async def set_delivery(self, incident_id: int, status: DeliveryStatus, reason: str = "") -> None:
        """Record what happened to the nudge (the outbox marks); an audit event goes with it. Any claim on the
        nudge (claim_delivery) ends with it."""

        async def work(db: Db) -> None:
            changed = await db.run(
                "UPDATE incidents SET delivery_status = :status, delivery_reason = :reason, "
                "delivery_attempts = delivery_attempts + 1, claimed_by = NULL, claimed_until = NULL WHERE id = :id",
                {"status": status.value, "reason": reason[:500], "id": incident_id})
            if changed:
                await db.run(_EVENT, {"incident_id": incident_id, "actor_id": SYSTEM_ACTOR,
                                      "action": f"nudge {status.value}", "note": reason[:500],
                                      "created_at": now_ts()})

        await self._write(work)

    async def claim_delivery(self, incident_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Claim the sending of an incident's pending nudge for `owner` (a process) until now + lease.

        One conditional UPDATE: it changes the row only while the nudge is pending and nobody else holds a live
        claim, so of several processes trying at once exactly one wins, on SQLite and on PostgreSQL alike. A
        claim whose holder died lapses with its lease and the outbox may take it up again.
        """

        async def work(db: Db) -> int:
            return await db.run(
                "UPDATE incidents SET claimed_by = :owner, claimed_until = :until WHERE id = :id "
                "AND delivery_status = 'pending' AND (claimed_until IS NULL OR claimed_until < :now "
                "OR claimed_by = :owner)",
                {"owner": owner, "until": ts(now + lease), "now": ts(now), "id": incident_id})

        return await self._write(work) == 1

    async def release_delivery(self, incident_id: int, owner: str) -> None:
        """Give back a claim that did not end in a delivery mark (the nudge was not sent after all)."""

        async def work(db: Db) -> None:
            await db.run("UPDATE incidents SET claimed_by = NULL, claimed_until = NULL WHERE id = :id "
                         "AND claimed_by = :owner", {"id": incident_id, "owner": owner})

        await self._write(work)

    async def pending_deliveries(self, platform: Platform | None = None) -> list[Incident]:
        """Incidents whose nudge has not been delivered yet (the outbox), oldest first."""
        sql = "SELECT * FROM incidents WHERE delivery_status = 'pending'"
        params: dict[str, Any] = {}
        if platform is not None:
            sql += " AND platform = :platform"
            params["platform"] = platform.value
        return [to_incident(r) for r in await self._rows(sql + " ORDER BY id", params)]

    async def nudged_since(self, platform: Platform, community_id: str, author_id: str, clause: str,
                           since: datetime) -> bool:
        """True when this author already has a nudge pending or delivered for this primary clause since then."""
        row = await self._one(
            "SELECT 1 AS found FROM incidents WHERE platform = :p AND community_id = :c AND author_id = :a "
            "AND created_at >= :since AND primary_clause = :clause AND delivery_status IN ('pending', 'delivered') "
            "LIMIT 1", {"p": platform.value, "c": community_id, "a": author_id, "since": ts(since), "clause": clause})
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
        release = ("delivery_status = CASE WHEN delivery_status = 'suppressed' AND delivery_reason = :held "
                   "THEN 'pending' ELSE delivery_status END, "
                   "delivery_reason = CASE WHEN delivery_status = 'suppressed' AND delivery_reason = :held "
                   "THEN '' ELSE delivery_reason END, ")
        sql = f"UPDATE incidents SET {release if release_held_nudge else ''}status = :status WHERE id = :id"
        params: dict[str, Any] = {"status": status.value, "id": incident_id}
        if release_held_nudge:
            params["held"] = HELD_REASON
        if expected is not None:
            names = [f"expected{i}" for i in range(len(expected))]
            sql += f" AND status IN ({', '.join(':' + n for n in names)})"
            params.update(zip(names, (s.value for s in expected), strict=True))

        async def work(db: Db) -> Incident | None:
            rows = await db.fetch(sql + " RETURNING *", params)
            if not rows:
                return None
            await db.run(_EVENT, {"incident_id": incident_id, "actor_id": actor_id, "action": action,
                                  "note": note[:_NOTE_MAX], "created_at": now_ts()})
            return to_incident(rows[0])

        return await self._write(work)

    async def add_event(self, incident_id: int, actor_id: str, action: str, note: str = "") -> None:
        """Add a line to an incident's audit trail."""

        async def work(db: Db) -> None:
            await db.run(_EVENT, {"incident_id": incident_id, "actor_id": actor_id, "action": action,
                                  "note": note[:_NOTE_MAX], "created_at": now_ts()})

        try:
            await self._write(work)
        except IntegrityError:  # the foreign key names no incident: say which
            raise UnknownIncident(incident_id) from None

    async def events(self, incident_id: int) -> list[IncidentEvent]:
        """An incident's audit trail in the order it was written, starting with its recording."""
        recorded = await self._one("SELECT rules, recorded_at FROM incidents WHERE id = :id", {"id": incident_id})
        if recorded is None:
            return []
        # The first line comes from the incident row itself: one row written per incident keeps recording fast.
        first = IncidentEvent(incident_id=incident_id, actor_id=SYSTEM_ACTOR, action="recorded",
                              note=", ".join(json.loads(recorded["rules"])),
                              created_at=parse_ts(recorded["recorded_at"]))
        rows = await self._rows("SELECT * FROM incident_events WHERE incident_id = :id ORDER BY id",
                                {"id": incident_id})
        return [first, *(to_event(r) for r in rows)]

    async def hostile_incidents(self, platform: Platform, community_id: str, author_id: str, target_id: str,
                                since: datetime) -> list[Incident]:
        """The author's incidents aimed at the target since then, oldest first (4.3).

        Dismissed ones never count, and neither do those held for review: a held incident is uncertain, so it
        counts once the committee confirms it.
        """
        # LIKE narrows to the rows whose JSON list mentions the target (portable SQL); the exact test is here.
        rows = await self._rows(
            "SELECT * FROM incidents WHERE platform = :p AND community_id = :c AND author_id = :a "
            "AND created_at >= :since AND status NOT IN ('dismissed', 'review') AND targets LIKE :target "
            "ESCAPE '\\' ORDER BY created_at, id",
            {"p": platform.value, "c": community_id, "a": author_id, "since": ts(since),
             "target": like_json_item(target_id)})
        return [to_incident(r) for r in rows if target_id in json.loads(r["targets"])]

    async def author_incident_count(self, platform: Platform, community_id: str, author_id: str) -> int:
        """How many incidents this author has (dismissed ones, and those still held for review, do not count)."""
        row = await self._one(
            "SELECT COUNT(*) AS n FROM incidents WHERE platform = :p AND community_id = :c AND author_id = :a "
            "AND status NOT IN ('dismissed', 'review')", {"p": platform.value, "c": community_id, "a": author_id})
        return int(row["n"]) if row else 0

    async def add_feedback(self, incident_id: int, user_id: str, kind: str, note: str, now: datetime) -> None:
        """A member says the nudge was fixed or a mistake; kept for the committee, with an audit event."""
        if kind not in FEEDBACK_KINDS:
            raise InputError(f"feedback kind {kind!r} is not one of {', '.join(FEEDBACK_KINDS)}")

        async def work(db: Db) -> None:
            found = await db.fetch("SELECT 1 AS found FROM incidents WHERE id = :id", {"id": incident_id})
            if not found:
                raise UnknownIncident(incident_id)
            await db.run(
                "INSERT INTO feedback (incident_id, user_id, kind, note, created_at) "
                "VALUES (:incident_id, :user_id, :kind, :note, :created_at)",
                {"incident_id": incident_id, "user_id": user_id, "kind": kind, "note": note[:_NOTE_MAX],
                 "created_at": ts(now)})
            await db.run(_EVENT, {"incident_id": incident_id, "actor_id": user_id, "action": f"feedback {kind}",
                                  "note": note[:_NOTE_MAX], "created_at": ts(now)})

        await self._write(work)

    async def list_incidents(self, query: IncidentQuery) -> list[Incident]:
        """The committee's list: newest first, filtered, one page."""
        where, params = query_filter(query)
        params.update(limit=max(1, min(query.limit, 1000)), offset=max(0, query.offset))
        rows = await self._rows(
            f"SELECT * FROM incidents {where} ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset", params)
        return [to_incident(r) for r in rows]

    async def count_incidents(self, query: IncidentQuery | None = None) -> int:
        """How many incidents match the query's filters (limit and offset ignored), or all of them."""
        where, params = query_filter(query) if query is not None else ("", {})
        row = await self._one(f"SELECT COUNT(*) AS n FROM incidents {where}", params)
        return int(row["n"]) if row else 0
