"""Members who take no private messages, remembered for a day so the platform is not asked again meanwhile.

A nudge refused because the member closed their DMs (Discord 50007; Slack refusing both the ephemeral note and
the DM) is remembered in the store for `REMEMBER_FOR`, per platform, community and member (Discord's setting is
per server). A nudge for them in that time is not sent: it is recorded as refused with the reason remembered, and
the committee is alerted as for any refused nudge. A welfare note goes the same way: refused for closed DMs, it
marks the member too, and while they are remembered it is not sent but logged as not sent (there is no incident
to record it on: a welfare signal is never kept against a member), and the committee's welfare alert, when it
asked for those, says the pointer did not reach them. On Discord every refused DM counts toward the
invalid-request limit that bans an address, so asking again is not only pointless but harmful. Expired entries
go with the daily purge; the rows hold member ids only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.escalation import Clock
from bot.models import AlertKind, CommitteeAlert, DeliveryResult, DeliveryStatus, Incident, Nudge, Platform, WelfareNote
from bot.store import STORE_FAILURES
from bot.texts import WELFARE_POINTER_SENT, welfare_pointer_not_sent

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)

REMEMBER_FOR = timedelta(days=1)
REMEMBERED = "DMs closed (remembered)"


class ClosedDms:
    """Who refused private messages lately, kept in the store so every process knows."""

    def __init__(self, store: Store, clock: Clock, remember_for: timedelta = REMEMBER_FOR) -> None:
        self.store = store
        self.clock = clock
        self.remember_for = remember_for

    async def remember(self, incident: Incident) -> None:
        """The author of `incident` refused its nudge: do not ask the platform again for `remember_for`."""
        await self._remember(incident.platform, incident.community_id, incident.author_id,
                             {"incident_id": incident.id})

    async def remember_welfare(self, note: WelfareNote) -> None:
        """The recipient of a welfare note refused it for closed DMs: the same memory as for a refused nudge."""
        await self._remember(note.platform, note.community_id, note.recipient_id, {"channel_id": note.channel_id})

    async def _remember(self, platform: Platform, community_id: str, member_id: str,
                        ids: dict[str, object]) -> None:
        until = self.clock() + self.remember_for
        try:
            await self.store.remember_closed_dms(platform, community_id, member_id, until)
        except STORE_FAILURES as exc:  # forgetting costs one more refused request, nothing else
            log.warning("could not remember closed DMs", extra={**ids, "error": type(exc).__name__})
            return
        log.info("closed DMs remembered", extra={**ids, "user_id": member_id,
                                                 "until": until.isoformat(timespec="minutes")})

    async def _until(self, platform: Platform, community_id: str, member_id: str) -> datetime | None:
        """Until when this member is remembered; None when not (or the store cannot say: then the platform is
        asked as usual)."""
        try:
            return await self.store.closed_dms_until(platform, community_id, member_id, self.clock())
        except STORE_FAILURES:
            return None

    async def remembered(self, nudge: Nudge) -> DeliveryResult | None:
        """The refusal to record instead of sending, when the recipient closed their DMs within `remember_for`;
        None when they did not (or the store cannot say: then the nudge is tried as usual)."""
        if await self._until(nudge.platform, nudge.community_id, nudge.recipient_id) is None:
            return None
        log.info("nudge not sent: the member's DMs are closed (remembered)",
                 extra={"incident_id": nudge.incident_id, "user_id": nudge.recipient_id})
        return DeliveryResult(DeliveryStatus.REFUSED, REMEMBERED)

    async def welfare_remembered(self, note: WelfareNote) -> DeliveryResult | None:
        """As `remembered`, for a welfare note: the refusal to report instead of sending it, or None to send it."""
        if await self._until(note.platform, note.community_id, note.recipient_id) is None:
            return None
        return DeliveryResult(DeliveryStatus.REFUSED, REMEMBERED)


def welfare_not_sent(alerts: Iterable[CommitteeAlert], reason: str) -> tuple[CommitteeAlert, ...]:
    """The outcome's alerts once its welfare note did not reach the member: the welfare alert says so (and asks
    the committee to reach out) instead of saying the pointer was sent; the other alerts unchanged."""
    return tuple(replace(alert, summary=alert.summary.replace(WELFARE_POINTER_SENT, welfare_pointer_not_sent(reason)))
                 if alert.kind is AlertKind.WELFARE else alert for alert in alerts)
