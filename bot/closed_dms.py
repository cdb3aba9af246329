"""Members who take no private messages, remembered for a day so the platform is not asked again meanwhile.

A nudge refused because the member closed their DMs (Discord 50007; Slack refusing both the ephemeral note and
the DM) is remembered in the store for `REMEMBER_FOR`, per platform, community and member (Discord's setting is
per server). A nudge for them in that time is not sent: it is recorded as refused with the reason remembered, and
the committee is alerted as for any refused nudge. On Discord every refused DM counts toward the invalid-request
limit that bans an address, so asking again is not only pointless but harmful. Expired entries go with the daily
purge; the rows hold member ids only.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.escalation import Clock
from bot.models import DeliveryResult, DeliveryStatus, Incident, Nudge
from bot.store import STORE_FAILURES

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
        until = self.clock() + self.remember_for
        try:
            await self.store.remember_closed_dms(incident.platform, incident.community_id, incident.author_id, until)
        except STORE_FAILURES as exc:  # forgetting costs one more refused request, nothing else
            log.warning("could not remember closed DMs", extra={"incident_id": incident.id,
                                                                "error": type(exc).__name__})
            return
        log.info("closed DMs remembered", extra={"incident_id": incident.id, "user_id": incident.author_id,
                                                 "until": until.isoformat(timespec="minutes")})

    async def remembered(self, nudge: Nudge) -> DeliveryResult | None:
        """The refusal to record instead of sending, when the recipient closed their DMs within `remember_for`;
        None when they did not (or the store cannot say: then the nudge is tried as usual)."""
        try:
            until = await self.store.closed_dms_until(nudge.platform, nudge.community_id, nudge.recipient_id,
                                                      self.clock())
        except STORE_FAILURES:
            return None
        if until is None:
            return None
        log.info("nudge not sent: the member's DMs are closed (remembered)",
                 extra={"incident_id": nudge.incident_id, "user_id": nudge.recipient_id})
        return DeliveryResult(DeliveryStatus.REFUSED, REMEMBERED)
