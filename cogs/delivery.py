"""Delivers what the core decided: nudges by DM, welfare notes by DM, alerts to the committee's alert channel.

A nudge is only ever sent privately. Each nudge is attempted at most once per process (the outbox on start
skips any the live pipeline already tried), and every attempt is reported back to the core, so the store's
delivery status is the one record of what reached whom.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.models import CommitteeAlert, DeliveryResult, DeliveryStatus, Nudge, Outcome, Platform, WelfareNote
from cogs.ui import alert_embed, alert_view, nudge_embed, nudge_view

if TYPE_CHECKING:
    from bot.discord_app import NudgeBot

log = logging.getLogger(__name__)

DMS_CLOSED = 50007  # "Cannot send messages to this user"


class Courier:
    """Sends the core's nudges, welfare notes and alerts through Discord and reports each delivery."""

    def __init__(self, bot: NudgeBot) -> None:
        self.bot = bot
        self._attempted: set[int] = set()
        self._outbox_lock = asyncio.Lock()

    async def deliver(self, outcome: Outcome) -> None:
        """Everything one outcome asks for; never raises for a Discord failure."""
        if outcome.nudge is not None:
            await self.deliver_nudge(outcome.nudge)
        if outcome.welfare is not None:
            await self.send_welfare(outcome.welfare)
        await self.post_alerts(outcome.alerts)

    async def deliver_nudge(self, nudge: Nudge) -> DeliveryStatus | None:
        """DM the nudge and report the result; None when not attempted (already tried, or Discord unreachable)."""
        if nudge.incident_id in self._attempted:
            return None
        self._attempted.add(nudge.incident_id)
        ids = {"incident_id": nudge.incident_id, "user_id": nudge.recipient_id}
        try:
            channel = await self.bot.create_dm(discord.Object(int(nudge.recipient_id)))
            await channel.send(embed=nudge_embed(nudge), view=nudge_view(nudge.incident_id))
            result = DeliveryResult(DeliveryStatus.DELIVERED)
        except discord.Forbidden as exc:
            reason = str(exc.code) if exc.code == DMS_CLOSED else f"forbidden ({exc.code})"
            result = DeliveryResult(DeliveryStatus.REFUSED, reason)
        except discord.HTTPException as exc:
            result = DeliveryResult(DeliveryStatus.FAILED, f"HTTP {exc.status} ({exc.code})")
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            # Discord unreachable: leave it in the outbox for the next start rather than calling it failed.
            self._attempted.discard(nudge.incident_id)
            log.warning("nudge not delivered; it stays in the outbox", extra={**ids, "error": type(exc).__name__})
            return None
        log.info("nudge delivery", extra={**ids, "status": result.status.value, "reason": result.reason})
        alerts = await self.bot.core.moderator.report_delivery(nudge.incident_id, result)
        await self.post_alerts(alerts)
        return result.status

    async def send_welfare(self, note: WelfareNote) -> None:
        """A private pointer to support; if DMs are closed there is nothing else to do (no incident exists)."""
        try:
            channel = await self.bot.create_dm(discord.Object(int(note.recipient_id)))
            await channel.send(note.text)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.info("welfare note not delivered", extra={"user_id": note.recipient_id,
                                                          "error": type(exc).__name__})

    async def post_alerts(self, alerts: Iterable[CommitteeAlert]) -> None:
        """Post alerts to each community's alert channel (set with /nudgebot setup); never to an open channel."""
        for alert in alerts:
            community = await self.bot.communities.get(alert.community_id)
            ids = {"community_id": alert.community_id, "kind": alert.kind.value,
                   "incident_ids": list(alert.incident_ids)}
            if not community.alert_channel:
                log.warning("alert not posted: no alert channel set (use /nudgebot setup)", extra=ids)
                continue
            channel = self.bot.get_partial_messageable(int(community.alert_channel), guild_id=int(alert.community_id))
            view = alert_view(alert)
            try:
                if view is None:
                    await channel.send(embed=alert_embed(alert))
                else:
                    await channel.send(embed=alert_embed(alert), view=view)
            except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
                log.error("alert not posted", extra={**ids, "error": type(exc).__name__})

    async def deliver_outbox(self) -> int:
        """Deliver every nudge recorded but not yet delivered (after a restart or an outage); returns how many
        were attempted."""
        async with self._outbox_lock:
            nudges = await self.bot.core.moderator.pending_nudges(Platform.DISCORD)
            attempted = 0
            for nudge in nudges:
                if await self.deliver_nudge(nudge) is not None:
                    attempted += 1
            if nudges:
                log.info("outbox delivered", extra={"pending": len(nudges), "attempted": attempted})
            return attempted
