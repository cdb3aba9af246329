"""Delivers what the core decided: nudges by DM, welfare notes by DM, alerts to the committee's alert channel.

While this process has spent its invalid-request budget (`bot.request_budget`: Discord bans an address for too many
401, 403 and 429 answers) nudges and alerts wait for the outbox retry instead of being sent.

A nudge is only ever sent privately, and once: the live path and the outbox each claim a nudge before sending it
(`bot.delivery_claims`) and ask the core whether it still awaits delivery. If Discord could not be reached or
answered 5xx it stays in the outbox and the periodic retry tries it again. Every attempt is reported back to the
core, so the store's delivery status is the one record of what reached whom.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.delivery_claims import DeliveryClaims, NotSent
from bot.logsetup import bound_ids
from bot.models import CommitteeAlert, DeliveryResult, DeliveryStatus, Nudge, Outcome, Platform, WelfareNote
from cogs.ui import alert_embed, alert_view, nudge_embed, nudge_view

if TYPE_CHECKING:
    from bot.discord_app import NudgeBot

log = logging.getLogger(__name__)

DMS_CLOSED = 50007  # "Cannot send messages to this user"
TOO_MANY_REQUESTS = 429


MAX_ALERTS_PER_MESSAGE = 5  # one row of four buttons each, and Discord allows five rows per message
MAX_HELD_ALERTS = 500  # alerts kept for a retry while Discord is failing
MAX_EMBED_CHARACTERS = 6000  # Discord's limit for all embeds of one message together


def _groups(alerts: list[CommitteeAlert]) -> list[list[CommitteeAlert]]:
    """Split alerts into messages Discord accepts: at most five, and 6,000 embed characters, per message."""
    groups: list[list[CommitteeAlert]] = []
    size = 0
    for alert in alerts:
        length = len(alert_embed(alert))
        if not groups or len(groups[-1]) >= MAX_ALERTS_PER_MESSAGE or size + length > MAX_EMBED_CHARACTERS:
            groups.append([])
            size = 0
        groups[-1].append(alert)
        size += length
    return groups


class Courier:
    """Sends the core's nudges, welfare notes and alerts through Discord and reports each delivery."""

    def __init__(self, bot: NudgeBot) -> None:
        self.bot = bot
        self.claims = DeliveryClaims()  # nudges being sent right now (live path or outbox)
        self._outbox_lock = asyncio.Lock()
        self._alerts: asyncio.Queue[CommitteeAlert] = asyncio.Queue()
        self._poster: asyncio.Task[None] | None = None
        self._alerts_pending = 0
        self.outbox_left = 0  # nudges the last outbox run could not deliver
        self._unposted: list[CommitteeAlert] = []  # alerts Discord failed to take, for the outbox retry

    async def deliver(self, outcome: Outcome) -> None:
        """Everything one outcome asks for; never raises for a Discord failure."""
        if outcome.nudge is not None:
            await self.deliver_nudge(outcome.nudge)
        if outcome.welfare is not None:
            await self.send_welfare(outcome.welfare)
        self.post_alerts(outcome.alerts)

    async def deliver_nudge(self, nudge: Nudge) -> DeliveryStatus | None:
        """DM the nudge and report the result; None when not attempted (being sent already, no longer awaiting
        delivery, or Discord unreachable)."""
        sent = await self._attempt(nudge)
        return sent if isinstance(sent, DeliveryStatus) else None

    async def _attempt(self, nudge: Nudge) -> DeliveryStatus | NotSent:
        """Claim the nudge, check it still awaits delivery, DM it and report the result; the claim is given back
        only once the result is reported, so no other sender can send it in between."""
        if not self.claims.claim(nudge.incident_id):
            return NotSent.BUSY
        try:
            with (bound_ids(workspace_id=nudge.community_id, shard_id=self.bot.shard_of_guild(nudge.community_id)),
                  self.bot.invalid_requests.attempt() as allowed):
                if not allowed:
                    # Near Discord's invalid-request limit: a nudge can wait in the outbox, an address ban cannot.
                    return self._leave_in_outbox({"incident_id": nudge.incident_id}, "invalid-request budget spent")
                # The database claim: of every process (and this one's outbox), exactly one sends this nudge.
                if not await self.bot.core.moderator.claim_delivery(nudge.incident_id):
                    return NotSent.SETTLED
                if (remembered := await self.bot.core.moderator.closed_dms.remembered(nudge)) is not None:
                    return await self._report(nudge, remembered)  # refused lately: not asked again
                sent = await self._send(nudge)
                if sent is NotSent.UNREACHABLE:
                    await self.bot.core.moderator.release_delivery(nudge.incident_id)
                return sent
        finally:
            self.claims.release(nudge.incident_id)

    async def _send(self, nudge: Nudge) -> DeliveryStatus | NotSent:
        ids = {"incident_id": nudge.incident_id, "user_id": nudge.recipient_id}
        try:
            channel = await self.bot.create_dm(discord.Object(int(nudge.recipient_id)))
            await channel.send(embed=nudge_embed(nudge), view=nudge_view(nudge.incident_id))
            result = DeliveryResult(DeliveryStatus.DELIVERED)
        except discord.Forbidden as exc:
            closed = exc.code == DMS_CLOSED
            result = DeliveryResult(DeliveryStatus.REFUSED, str(exc.code) if closed else f"forbidden ({exc.code})",
                                    dms_closed=closed)
        except discord.HTTPException as exc:
            if exc.status >= 500 or exc.status == TOO_MANY_REQUESTS:
                # Discord failing or still rate limiting after discord.py's own retries: the outbox retry tries
                # again later (a rate limit is no reason to give up on a nudge).
                return self._leave_in_outbox(ids, f"HTTP {exc.status}")
            result = DeliveryResult(DeliveryStatus.FAILED, f"HTTP {exc.status} ({exc.code})")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            # Discord unreachable: leave it in the outbox for the retry rather than calling it failed.
            return self._leave_in_outbox(ids, type(exc).__name__)
        log.info("nudge delivery", extra={**ids, "status": result.status.value, "reason": result.reason})
        return await self._report(nudge, result)

    async def _report(self, nudge: Nudge, result: DeliveryResult) -> DeliveryStatus:
        """Record what became of a nudge; the committee's alerts it gives (a refusal) are queued."""
        alerts = await self.bot.core.moderator.report_delivery(nudge.incident_id, result)
        self.post_alerts(alerts)
        return result.status

    @staticmethod
    def _leave_in_outbox(ids: dict[str, object], error: str) -> NotSent:
        log.warning("nudge not delivered; it stays in the outbox", extra={**ids, "error": error})
        return NotSent.UNREACHABLE

    async def send_welfare(self, note: WelfareNote) -> None:
        """A private pointer to support; if DMs are closed there is nothing else to do (no incident exists)."""
        with self.bot.invalid_requests.attempt() as allowed:
            if allowed:
                await self._send_welfare(note)
            else:
                log.info("welfare note not sent: invalid-request budget spent", extra={"user_id": note.recipient_id})

    async def _send_welfare(self, note: WelfareNote) -> None:
        try:
            channel = await self.bot.create_dm(discord.Object(int(note.recipient_id)))
            await channel.send(note.text)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.info("welfare note not delivered", extra={"user_id": note.recipient_id,
                                                          "error": type(exc).__name__})

    def post_alerts(self, alerts: Iterable[CommitteeAlert]) -> None:
        """Queue alerts for the committee's alert channel; a poster task sends them in order.

        Queued, not awaited: the alert channel has its own rate limit, and moderation and nudges must not wait
        behind a burst of alerts (a raid, say).
        """
        for alert in alerts:
            self._alerts_pending += 1
            self._alerts.put_nowait(alert)

    @property
    def alert_backlog(self) -> int:
        """Alerts queued or being posted."""
        return self._alerts_pending

    def start(self) -> None:
        """Start the alert poster (the bot's setup hook does this)."""
        if self._poster is None:
            self._poster = asyncio.create_task(self._post_alerts(), name="nudgebot-alerts")

    async def stop(self, drain_seconds: float = 15.0) -> None:
        """Post the alerts still queued (bounded), then stop the poster."""
        if self._poster is None:
            return
        try:
            await asyncio.wait_for(self._alerts.join(), drain_seconds)
        except TimeoutError:
            log.warning("stopping with alerts not posted", extra={"queued": self._alerts.qsize()})
        self._poster.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._poster
        self._poster = None

    async def _post_alerts(self) -> None:
        while True:
            batch = [await self._alerts.get()]
            # Whatever queued up meanwhile (the channel's rate limit makes a burst queue up) goes out together.
            while not self._alerts.empty():
                batch.append(self._alerts.get_nowait())
            try:
                for community_id in dict.fromkeys(a.community_id for a in batch):
                    for group in _groups([a for a in batch if a.community_id == community_id]):
                        await self._post(community_id, group)
            except Exception:
                log.exception("alerts not posted", extra={"alerts": len(batch)})
            finally:
                self._alerts_pending -= len(batch)
                for _ in batch:
                    self._alerts.task_done()

    async def _post(self, community_id: str, alerts: list[CommitteeAlert]) -> None:
        """Post alerts of one community in one message to its alert channel (set with /nudgebot setup); never
        to an open channel."""
        community = await self.bot.communities.get(community_id)
        ids = {"community_id": community_id, "kinds": [a.kind.value for a in alerts],
               "incident_ids": [i for a in alerts for i in a.incident_ids]}
        if not community.alert_channel:
            log.warning("alert not posted: no alert channel set (use /nudgebot setup)", extra=ids)
            return
        with self.bot.invalid_requests.attempt() as allowed:
            if allowed:
                await self._post_now(community_id, int(community.alert_channel), alerts, ids)
            elif len(self._unposted) + len(alerts) <= MAX_HELD_ALERTS:
                self._unposted.extend(alerts)  # posted by the outbox retry once the window has room again
                log.warning("alert held: invalid-request budget spent", extra=ids)
            else:
                log.error("alert not posted: invalid-request budget spent and too many held", extra=ids)

    async def _post_now(self, community_id: str, channel_id: int, alerts: list[CommitteeAlert],
                        ids: Mapping[str, object]) -> None:
        channel = self.bot.get_partial_messageable(channel_id, guild_id=int(community_id))
        view = alert_view(alerts)
        embeds = [alert_embed(a) for a in alerts]
        try:
            if view is None:
                await channel.send(embeds=embeds)
            else:
                await channel.send(embeds=embeds, view=view)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            failing = (not isinstance(exc, discord.HTTPException) or exc.status >= 500
                       or exc.status == TOO_MANY_REQUESTS)
            if failing and len(self._unposted) + len(alerts) <= MAX_HELD_ALERTS:
                # Discord unreachable or failing: the outbox retry posts them again (a refusal is not retried).
                self._unposted.extend(alerts)
                log.warning("alert not posted; the outbox retry posts it again",
                            extra={**ids, "error": type(exc).__name__})
            else:
                log.error("alert not posted", extra={**ids, "error": type(exc).__name__})

    async def deliver_outbox(self) -> int:
        """Deliver every nudge recorded but not yet delivered (after a restart or an outage); returns how many
        were attempted."""
        async with self._outbox_lock:
            nudges = await self.bot.core.moderator.pending_nudges(Platform.DISCORD)
            return await self._deliver_all(nudges)

    async def _deliver_all(self, nudges: list[Nudge]) -> int:
        """The outbox's loop over one snapshot of pending nudges; returns how many were attempted."""
        attempted = settled = 0
        for nudge in nudges:
            sent = await self._attempt(nudge)
            if sent is NotSent.UNREACHABLE:
                break  # Discord unreachable: the rest wait for the next retry instead of each timing out
            if sent is NotSent.SETTLED:
                settled += 1  # sent by the live path since the snapshot (or the store cannot say): not left
            elif sent is not NotSent.BUSY:  # BUSY: in flight on the live path, left for this run
                attempted += 1
        if nudges:
            log.info("outbox delivered", extra={"pending": len(nudges), "attempted": attempted})
        self.outbox_left = len(nudges) - attempted - settled
        return attempted

    async def retry_outbox(self) -> int:
        """One run of the periodic outbox retry (`bot.outbox.OutboxRetry`): the outbox, then the alerts Discord
        failed to take; returns how many nudges it left undelivered (Discord still failing, or in flight on the
        live path), plus the alerts re-queued and the records still held in memory because the database is failing
        (the retry backs off while any are left)."""
        await self.deliver_outbox()
        held, self._unposted = self._unposted, []
        self.post_alerts(held)  # queued for the poster; held again if Discord still fails
        return self.outbox_left + self.bot.core.moderator.pending_count + len(held)
