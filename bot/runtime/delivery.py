"""The one delivery service both platforms use: claim a nudge, check it still awaits delivery, send it through the
adapter's notifier, report the result to the core, queue the alerts that follow, and retry the outbox.

A nudge is only ever sent privately, and once: the live path and the outbox each claim a nudge before sending it
(`bot.runtime.claims`, within this process) and then take the database's claim on it (`Moderator.claim_delivery`,
across processes sharing a store), which holds only while it still awaits delivery. If the platform could not be
reached or failed, the database claim is given back, the nudge stays in the outbox and the periodic retry
(`bot.runtime.outbox`) tries it again. Every attempt is reported back to the core, so the store's delivery status
is the one record of what reached whom. A member who refused private messages lately (`bot.closed_dms`) is not
asked again, for a nudge (the refusal is recorded as remembered) or a welfare note (logged as not sent; the
committee's welfare alert says it did not reach them); a welfare note refused for closed DMs is remembered too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from bot.closed_dms import welfare_not_sent
from bot.logsetup import bound_ids
from bot.models import CommitteeAlert, DeliveryStatus, Nudge, Outcome, Platform, WelfareNote
from bot.runtime.alerts import AlertPoster
from bot.runtime.claims import DeliveryClaims, NotSent
from bot.runtime.notifier import Notifier
from bot.runtime.outbox import RETRY_SECONDS, OutboxRetry

if TYPE_CHECKING:
    from bot.core import Core
    from bot.tiers import Reviewed

log = logging.getLogger(__name__)


class DeliveryService:
    """Delivers the core's outcomes on one platform, through that platform's notifier."""

    def __init__(self, core: Core, platform: Platform, notifier: Notifier, *,
                 outbox_retry_seconds: float = RETRY_SECONDS,
                 ids_of: Callable[[str], Mapping[str, Any]] | None = None) -> None:
        """`ids_of`: the adapter's ids for a community beyond its workspace_id (Discord: the guild's shard_id), on
        every line logged while delivering to it, the outbox's and the alert poster's included."""
        self.core = core
        self.platform = platform
        self.notifier = notifier
        self._ids_of = ids_of
        self.claims = DeliveryClaims()  # nudges being sent right now (live path or outbox)
        self.alerts = AlertPoster(core.store, platform, notifier, self.community_ids)
        self.outbox_retry = OutboxRetry(self.retry_outbox, every=outbox_retry_seconds,
                                        name=f"nudgebot-{platform.value}-outbox-retry")
        self.outbox_left = 0  # nudges the last outbox run could not deliver
        self._outbox_lock = asyncio.Lock()

    def community_ids(self, community_id: str) -> Mapping[str, Any]:
        """The ids every line about this community carries: its workspace_id, and the adapter's (a shard)."""
        return {"workspace_id": community_id, **(self._ids_of(community_id) if self._ids_of else {})}

    # -- the live path ---------------------------------------------------------------------------------------

    async def deliver(self, outcome: Outcome) -> None:
        """Everything one outcome asks for: the nudge (and its report), a welfare note, the committee's alerts
        (queued); never raises."""
        alerts = outcome.alerts
        try:
            if outcome.nudge is not None:
                await self.deliver_nudge(outcome.nudge)
            if outcome.welfare is not None:
                alerts = await self.deliver_welfare(outcome.welfare, alerts)
        except Exception:
            log.exception("delivery failed", extra={"incident_id": outcome.incident_id})
        self.post_alerts(alerts)

    async def deliver_welfare(self, note: WelfareNote,
                              alerts: tuple[CommitteeAlert, ...] = ()) -> tuple[CommitteeAlert, ...]:
        """Send a welfare note unless its recipient's DMs are remembered closed; a refusal for closed DMs is
        remembered as for a nudge. Returns the outcome's alerts, the welfare alert telling the committee the note
        did not reach the member when it did not."""
        closed_dms = self.core.moderator.closed_dms
        with bound_ids(**self.community_ids(note.community_id)):
            result = await closed_dms.welfare_remembered(note) or await self.notifier.send_welfare(note)
            if result is None or result.status is not DeliveryStatus.REFUSED:
                return alerts  # sent, or the platform failing (nothing to retry: no incident exists)
            if result.dms_closed:
                await closed_dms.remember_welfare(note)
            log.info("welfare note not sent", extra={"user_id": note.recipient_id, "channel_id": note.channel_id,
                                                     "status": result.status.value, "reason": result.reason})
        return welfare_not_sent(alerts, result.reason)

    async def deliver_nudge(self, nudge: Nudge) -> DeliveryStatus | None:
        """Send one nudge and report the result; None when not attempted: another sender (live path or outbox) is
        sending it right now, it no longer awaits delivery, or the platform could not be reached (it stays in
        the outbox). Never sent twice."""
        sent = await self._attempt(nudge)
        return sent if isinstance(sent, DeliveryStatus) else None

    async def deliver_reviewed(self, reviewed: Reviewed) -> None:
        """After a committee decision: the nudge a confirmation released (claimed, so sent once), its alerts."""
        if reviewed.nudge is not None:
            await self.deliver_nudge(reviewed.nudge)
        self.post_alerts(reviewed.alerts)

    def post_alerts(self, alerts: Iterable[CommitteeAlert]) -> None:
        """Queue alerts for the committee's alert channel."""
        self.alerts.post(alerts)

    @property
    def alert_backlog(self) -> int:
        """Alerts queued or being posted."""
        return self.alerts.backlog

    async def _attempt(self, nudge: Nudge) -> DeliveryStatus | NotSent:
        """Claim the nudge, check it still awaits delivery, send it and report the result; the claim is given
        back only once the result is reported, so no other sender can send it in between."""
        with bound_ids(**self.community_ids(nudge.community_id)):  # the outbox sends outside any message's work
            return await self._attempt_claimed(nudge)

    async def _attempt_claimed(self, nudge: Nudge) -> DeliveryStatus | NotSent:
        if not self.claims.claim(nudge.incident_id):
            return NotSent.BUSY
        try:
            moderator = self.core.moderator
            # The database claim: of every process (and this one's outbox), exactly one sends this nudge.
            if not await moderator.claim_delivery(nudge.incident_id):
                return NotSent.SETTLED
            # Refused lately because the member closed their DMs: recorded as refused again, not asked again.
            result = await moderator.closed_dms.remembered(nudge) or await self.notifier.send_nudge(nudge)
            if result is None:  # the notifier said why; the next outbox pass of any process may send it
                await moderator.release_delivery(nudge.incident_id)
                return NotSent.UNREACHABLE
            log.info("nudge delivery", extra={"incident_id": nudge.incident_id, "user_id": nudge.recipient_id,
                                              "status": result.status.value, "reason": result.reason})
            alerts = await moderator.report_delivery(nudge.incident_id, result)
        finally:
            self.claims.release(nudge.incident_id)
        self.post_alerts(alerts)
        return result.status

    # -- the outbox ------------------------------------------------------------------------------------------

    async def deliver_outbox(self) -> int:
        """Deliver every nudge recorded but not yet delivered (after a restart or an outage); returns how many
        were attempted (sent, refused or failed). `outbox_left` says how many it left: the platform failing,
        in flight on the live path, or broken."""
        async with self._outbox_lock:
            nudges = await self.core.moderator.pending_nudges(self.platform)
            attempted = left = 0
            for done, nudge in enumerate(nudges):
                try:
                    sent = await self._attempt(nudge)
                except Exception:  # this one nudge is broken: the others still go
                    left += 1
                    log.exception("outbox delivery failed", extra={"incident_id": nudge.incident_id})
                    continue
                if sent is NotSent.UNREACHABLE:
                    # The platform failing: the rest wait for the next retry instead of each timing out.
                    left += len(nudges) - done
                    break
                if sent is NotSent.BUSY:
                    left += 1  # being sent on the live path right now
                elif sent is not NotSent.SETTLED:  # SETTLED: sent by the live path since the snapshot: not left
                    attempted += 1
            if nudges:
                log.info("outbox delivered", extra={"pending": len(nudges), "attempted": attempted, "left": left})
            self.outbox_left = left
            return attempted

    async def open_outbox(self) -> int:
        """Once per start: deliver what the last run left undelivered, then keep retrying what an outage holds
        back; returns how many were attempted (0 when the run failed: the retry tries again)."""
        try:
            return await self.deliver_outbox()
        except Exception:
            log.exception("the outbox could not be delivered; the periodic retry tries again")
            return 0
        finally:
            self.outbox_retry.start()

    async def retry_outbox(self) -> int:
        """One run of the periodic outbox retry: the outbox, then the alerts the platform failed to take; returns
        how many nudges it left undelivered, plus the alerts queued again and the records still held in memory
        because the database is failing (the retry backs off while any are left)."""
        await self.deliver_outbox()
        reposted = self.alerts.repost_held()  # held again if the platform still fails
        return self.outbox_left + self.core.moderator.pending_count + reposted

    # -- start and stop --------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the alert poster (the outbox retry starts with `open_outbox`, or by itself)."""
        self.alerts.start()

    async def stop(self, drain_seconds: float = 15.0) -> None:
        """Stop the outbox retry (letting a run finish), then post the alerts still queued (bounded)."""
        await self.outbox_retry.stop(drain_seconds)
        await self.alerts.stop(drain_seconds)
