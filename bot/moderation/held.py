"""Incidents and delivery results held in memory while the database cannot be written, recorded once it is back;
the committee hears about the outage once, then every 15 minutes while it lasts."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from bot.models import AlertKind, CommitteeAlert, Decision, NewIncident, Outcome, Verdict
from bot.moderation.base import ModeratorBase
from bot.store import STORE_FAILURES
from bot.texts import plural

log = logging.getLogger(__name__)

PENDING_QUEUE_LIMIT = 1_000  # incidents held in memory while the database cannot be written
FLUSH_RETRY_SECONDS = 30.0  # while the database fails, handle() retries the queue at most this often
FLUSH_BATCH = 500  # held incidents recorded per transaction once the database is back
DEGRADED_ALERT_SECONDS = 900.0  # and the committee hears about it once per outage, then every 15 minutes


class HeldRecords(ModeratorBase):
    """Keeps what the database could not take, and records it when the database answers again."""

    def _degraded(self, new: NewIncident, exc: BaseException, verdict: Verdict) -> Outcome:
        """Keep the incident in memory for a retry and tell the committee the database is failing."""
        if len(self._pending) >= PENDING_QUEUE_LIMIT:
            dropped = self._pending.popleft()
            log.error("pending queue full: oldest unrecorded incident dropped",
                      extra={"message_id": dropped.message_id, "community_id": dropped.community_id})
        self._pending.append(new)
        log.error("could not record an incident (%s); kept in memory for a retry", exc,
                  extra={"platform": new.platform.value, "community_id": new.community_id,
                         "message_id": new.message_id, "error": type(exc).__name__, "pending": len(self._pending)})
        community = (new.platform.value, new.community_id)
        if time.monotonic() < self._next_degraded_alert.get(community, 0.0):
            return Outcome(Decision.RECORD, verdict=verdict)  # the committee already knows; do not flood them
        self._next_degraded_alert[community] = time.monotonic() + DEGRADED_ALERT_SECONDS
        alert = CommitteeAlert(
            kind=AlertKind.STORE_DEGRADED, platform=new.platform, community_id=new.community_id,
            summary=(f"nudgebot could not write to its database ({type(exc).__name__}). "
                     f"{plural(len(self._pending), 'incident')} {'is' if len(self._pending) == 1 else 'are'} held in "
                     "memory and will be recorded when it recovers; nudges wait until then."),
            severity=new.severity, channel_id=new.channel_id)
        return Outcome(Decision.RECORD, alerts=(alert,), verdict=verdict)

    @property
    def pending_count(self) -> int:
        """How many incidents and delivery results are waiting in memory for the database to come back."""
        return len(self._pending) + len(self._held_deliveries)

    async def flush(self) -> int:
        """Record what was held in memory while the database was failing; return how many incidents were recorded.

        Incidents first (their nudges then reach the outbox, `pending_nudges`), then delivery results. Stops at
        the first failure; the rest stay held. `handle()` calls this itself, at most every FLUSH_RETRY_SECONDS
        while the database keeps failing.
        """
        recorded = 0
        async with self._flush_lock:
            try:
                while self._pending:
                    recorded += await self._record_held(list(self._pending)[:FLUSH_BATCH])
                for incident_id, result in list(self._held_deliveries.items()):
                    await self.store.set_delivery(incident_id, result.status, result.reason)
                    del self._held_deliveries[incident_id]
            except STORE_FAILURES as exc:
                self._next_flush = time.monotonic() + FLUSH_RETRY_SECONDS
                log.warning("database still failing; held records stay in memory",
                            extra={"pending": self.pending_count, "error": type(exc).__name__})
            else:
                self._next_degraded_alert.clear()  # recovered: a new outage is news again
        return recorded

    async def _record_held(self, batch: list[NewIncident]) -> int:
        """Record held incidents together, so the store's group commit makes them one transaction; raise on failure.

        One commit per incident would append a WAL frame set each: after a full disk, that alone can fill it again.
        """
        results = await asyncio.gather(*(self.store.record_incident(new) for new in batch), return_exceptions=True)
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:
            raise failure
        done = {id(new) for new in batch}
        # Not popleft: _degraded may have dropped the oldest (queue full) while this batch was being written.
        self._pending = deque(new for new in self._pending if id(new) not in done)
        recorded = 0
        for new, (incident_id, created) in zip(batch, results, strict=True):  # type: ignore[misc]
            recorded += int(created)
            log.info("held incident recorded", extra={"incident_id": incident_id, "message_id": new.message_id})
        return recorded

