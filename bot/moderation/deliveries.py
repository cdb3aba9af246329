"""The outbox side of the moderator: what happened to each nudge, whether one still awaits delivery, and the nudges
recorded but not yet delivered. The runtime's delivery service asks these; it decides nothing itself."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import UTC, datetime, timedelta

from bot.models import (
    AlertKind,
    CommitteeAlert,
    DeliveryResult,
    DeliveryStatus,
    Incident,
    IncidentStatus,
    Nudge,
    Platform,
)
from bot.moderation import held
from bot.moderation.held import HeldRecords
from bot.nudges import build_nudge
from bot.store import STORE_FAILURES

log = logging.getLogger(__name__)

# Who holds a delivery claim in the database (one id per process), and how long a claim lasts if its holder dies.
PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
DELIVERY_LEASE = timedelta(minutes=5)


class DeliveryRecords(HeldRecords):
    """Delivery results in, the outbox out."""

    async def report_delivery(self, incident_id: int, result: DeliveryResult) -> tuple[CommitteeAlert, ...]:
        """Record what happened to a nudge; a refused or failed one becomes an alert for the committee.

        While the database is failing the result is held in memory (so the nudge is not sent twice) and
        recorded by `flush`.
        """
        try:
            await self.store.set_delivery(incident_id, result.status, result.reason)
        except STORE_FAILURES as exc:
            if len(self._held_deliveries) >= held.PENDING_QUEUE_LIMIT:
                self._held_deliveries.pop(next(iter(self._held_deliveries)))
            self._held_deliveries[incident_id] = result
            log.error("could not record a nudge delivery (%s); held in memory", exc,
                      extra={"incident_id": incident_id, "delivery": result.status.value})
            return ()
        if result.status not in (DeliveryStatus.REFUSED, DeliveryStatus.FAILED):
            return ()
        incident = await self.store.get_incident(incident_id)
        if incident is None:
            return ()
        if result.dms_closed:
            await self.closed_dms.remember(incident)
        why = f" ({result.reason})" if result.reason else ""
        return (CommitteeAlert(
            kind=AlertKind.NUDGE_REFUSED, platform=incident.platform, community_id=incident.community_id,
            summary=(f"nudgebot could not send {incident.author_name or incident.author_id} a private note about "
                     f"clause {incident.clauses[0] if incident.clauses else '?'}{why}: their direct messages may be "
                     "closed. A committee member may want to have a word."),
            incident_ids=(incident.id,), severity=incident.severity, channel_id=incident.channel_id,
            author_id=incident.author_id, permalink=incident.permalink),)

    async def awaiting_delivery(self, incident_id: int) -> bool:
        """Whether an incident's nudge still waits to be sent; adapters ask after claiming it, just before sending.

        False when its delivery result is held in memory or the store no longer says 'pending' (sent meanwhile by
        another path), and False when the store cannot be read: the nudge then stays in the outbox and the
        periodic outbox retry sends it once the database answers again.
        """
        if incident_id in self._held_deliveries:
            return False
        try:
            status = await self.store.delivery_status(incident_id)
        except STORE_FAILURES as exc:
            log.warning("nudge not sent: the database could not confirm it is still pending; it stays in the outbox",
                        extra={"incident_id": incident_id, "error": type(exc).__name__})
            return False
        return status is DeliveryStatus.PENDING

    async def claim_delivery(self, incident_id: int) -> bool:
        """Take the database's claim on sending an incident's nudge: True for exactly one process, and only while
        the nudge still waits to be sent (see `awaiting_delivery`). The delivery service calls it after its
        in-process claim, just before sending; a claim lapses after DELIVERY_LEASE if this process dies holding it.

        False when another process holds it, the nudge is settled, or the database cannot be reached (the nudge
        then stays in the outbox).
        """
        if incident_id in self._held_deliveries:
            return False
        try:
            return await self.store.claim_delivery(incident_id, PROCESS_ID, datetime.now(UTC), DELIVERY_LEASE)
        except STORE_FAILURES as exc:
            log.warning("nudge not sent: the database could not confirm it is still pending; it stays in the outbox",
                        extra={"incident_id": incident_id, "error": type(exc).__name__})
            return False

    async def release_delivery(self, incident_id: int) -> None:
        """Give back the database claim on a nudge that was not sent after all (the platform was unreachable), so
        the next outbox pass of any process may send it."""
        try:
            await self.store.release_delivery(incident_id, PROCESS_ID)
        except STORE_FAILURES as exc:  # the lease lapses by itself
            log.warning("could not release a delivery claim; it lapses with its lease",
                        extra={"incident_id": incident_id, "error": type(exc).__name__})

    async def pending_nudges(self, platform: Platform | None = None) -> list[Nudge]:
        """The outbox: a nudge for every incident recorded but not yet delivered, oldest first.

        Called on start (and after the database recovers). Delivered nudges are never given again; an incident
        the poster corrected or the committee dismissed meanwhile is marked as needing no nudge instead.
        """
        if self.pending_count:
            await self.flush()
        nudges = []
        for incident in await self.store.pending_deliveries(platform):
            if incident.id in self._held_deliveries:
                continue  # delivered (or refused) while the database was failing: never again
            if incident.status in (IncidentStatus.CORRECTED, IncidentStatus.DISMISSED):
                await self.store.set_delivery(incident.id, DeliveryStatus.NOT_NEEDED,
                                              f"incident {incident.status.value} before delivery")
                continue
            nudges.append(self.nudge_for(incident))
        return nudges

    def nudge_for(self, incident: Incident) -> Nudge:
        """The nudge for a recorded incident (the same words `handle` gave when it was recorded)."""
        category = next((self._categories[r] for r in incident.rules if r in self._categories), "")
        return build_nudge(incident_id=incident.id, platform=incident.platform, community_id=incident.community_id,
                           channel_id=incident.channel_id, message_id=incident.message_id,
                           recipient_id=incident.author_id, clauses=incident.clauses, category=category,
                           excerpt=incident.excerpt, policy=self.policy, permalink=incident.permalink)

