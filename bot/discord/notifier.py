"""The Discord notifier: nudges and welfare notes by DM, alerts as embeds in the committee's alert channel.

It only renders and sends (`bot.runtime.notifier.Notifier`); claiming, reporting, queueing alerts and the outbox
retry are the runtime's (`bot.runtime.delivery`).

While this process has spent its invalid-request budget (`bot.request_budget`: Discord bans an address for too many
401, 403 and 429 answers) nudges and alerts are not sent: the notifier answers "try later", so nudges wait in the
outbox and alerts are held for the outbox retry; welfare notes (nothing to retry) are dropped with a log line. A
welfare note refused with 50007 is reported as a nudge's would be, so the runtime remembers the closed DMs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.discord.ui import alert_embed, alert_view, nudge_embed, nudge_view
from bot.logsetup import bound_ids
from bot.models import CommitteeAlert, DeliveryResult, DeliveryStatus, Nudge, WelfareNote

if TYPE_CHECKING:
    from bot.discord.app import NudgeBot

log = logging.getLogger(__name__)

DMS_CLOSED = 50007  # "Cannot send messages to this user"
TOO_MANY_REQUESTS = 429
MAX_ALERTS_PER_MESSAGE = 5  # one row of four buttons each, and Discord allows five rows per message
MAX_EMBED_CHARACTERS = 6000  # Discord's limit for all embeds of one message together


def _groups(alerts: Sequence[CommitteeAlert]) -> list[list[CommitteeAlert]]:
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


def _failing(exc: Exception) -> bool:
    """Discord unreachable, failing (5xx) or still rate limiting after discord.py's own retries: worth another
    try later (a rate limit is no reason to give up on a nudge or an alert)."""
    return not isinstance(exc, discord.HTTPException) or exc.status >= 500 or exc.status == TOO_MANY_REQUESTS


def _refusal(exc: discord.Forbidden) -> DeliveryResult:
    """A DM Discord refused: `dms_closed` for 50007 (the member takes no DMs from the server), remembered a day."""
    closed = exc.code == DMS_CLOSED
    return DeliveryResult(DeliveryStatus.REFUSED, str(exc.code) if closed else f"forbidden ({exc.code})",
                          dms_closed=closed)


class DiscordNotifier:
    """Sends the core's nudges, welfare notes and alerts through Discord."""

    def __init__(self, bot: NudgeBot) -> None:
        self.bot = bot

    async def send_nudge(self, nudge: Nudge) -> DeliveryResult | None:
        """DM the nudge with its feedback buttons; None when Discord could not be reached or failed, or this
        process has spent its invalid-request budget (the nudge waits in the outbox)."""
        ids = {"incident_id": nudge.incident_id, "user_id": nudge.recipient_id}
        with (bound_ids(workspace_id=nudge.community_id, shard_id=self.bot.shard_of_guild(nudge.community_id)),
              self.bot.invalid_requests.attempt() as allowed):
            if not allowed:
                # Near Discord's invalid-request limit: a nudge can wait in the outbox, an address ban cannot.
                log.warning("nudge not delivered; it stays in the outbox",
                            extra={**ids, "error": "invalid-request budget spent"})
                return None
            return await self._send_nudge(nudge, ids)

    async def _send_nudge(self, nudge: Nudge, ids: dict[str, object]) -> DeliveryResult | None:
        try:
            channel = await self.bot.create_dm(discord.Object(int(nudge.recipient_id)))
            await channel.send(embed=nudge_embed(nudge), view=nudge_view(nudge.incident_id))
            return DeliveryResult(DeliveryStatus.DELIVERED)
        except discord.Forbidden as exc:
            return _refusal(exc)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            if not _failing(exc):
                assert isinstance(exc, discord.HTTPException)
                return DeliveryResult(DeliveryStatus.FAILED, f"HTTP {exc.status} ({exc.code})")
            error = f"HTTP {exc.status}" if isinstance(exc, discord.HTTPException) else type(exc).__name__
            log.warning("nudge not delivered; it stays in the outbox", extra={**ids, "error": error})
            return None

    async def send_welfare(self, note: WelfareNote) -> DeliveryResult | None:
        """A private pointer to support: delivered, or refused (50007: DMs closed, remembered by the runtime as for
        a nudge); None when Discord failed or the invalid-request budget is spent (no incident exists: nothing is
        retried)."""
        with self.bot.invalid_requests.attempt() as allowed:
            if allowed:
                return await self._send_welfare(note)
            log.info("welfare note not sent: invalid-request budget spent", extra={"user_id": note.recipient_id})
            return None

    async def _send_welfare(self, note: WelfareNote) -> DeliveryResult | None:
        try:
            channel = await self.bot.create_dm(discord.Object(int(note.recipient_id)))
            await channel.send(note.text)
            return DeliveryResult(DeliveryStatus.DELIVERED)
        except discord.Forbidden as exc:
            return _refusal(exc)
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.info("welfare note not delivered", extra={"user_id": note.recipient_id, "error": type(exc).__name__})
            return None

    async def post_alerts(self, channel_id: str, community_id: str,
                          alerts: Sequence[CommitteeAlert]) -> list[CommitteeAlert]:
        """Post one guild's alerts as embeds with review buttons, as few messages as Discord allows; returns
        those Discord failed to take for now."""
        channel = self.bot.get_partial_messageable(int(channel_id), guild_id=int(community_id))
        failed: list[CommitteeAlert] = []
        for group in _groups(alerts):
            with self.bot.invalid_requests.attempt() as allowed:
                if allowed:
                    await self._post_group(channel, community_id, group, failed)
                else:  # held for the outbox retry, posted once the window has room again
                    log.warning("alert held: invalid-request budget spent",
                                extra={"community_id": community_id,
                                       "incident_ids": [i for a in group for i in a.incident_ids]})
                    failed.extend(group)
        return failed

    async def _post_group(self, channel: discord.PartialMessageable, community_id: str,
                          group: list[CommitteeAlert], failed: list[CommitteeAlert]) -> None:
        """Post one message of alerts; those Discord failed to take go into `failed`."""
        view = alert_view(group)
        embeds = [alert_embed(a) for a in group]
        try:
            if view is None:
                await channel.send(embeds=embeds)
            else:
                await channel.send(embeds=embeds, view=view)
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            if _failing(exc):
                failed.extend(group)
            else:  # a refusal (no access to the channel): posting again would not help
                log.error("alert not posted", extra={"community_id": community_id, "error": type(exc).__name__,
                                                     "incident_ids": [i for a in group for i in a.incident_ids]})
