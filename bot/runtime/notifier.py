"""What an adapter does for the runtime: put the core's nudges, welfare notes and alerts on its platform.

The runtime (`bot.runtime.delivery`) decides when and whether to send, claims each nudge, reports every result to
the core and retries what a platform outage held back; an adapter's notifier only renders and sends, and says
which of three things happened: sent (or refused for good), or the platform could not be reached (try later).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.models import CommitteeAlert, DeliveryResult, Nudge, WelfareNote


class Notifier(Protocol):
    """The three things an adapter sends; each never raises for a platform failure."""

    async def send_nudge(self, nudge: Nudge) -> DeliveryResult | None:
        """Send a nudge privately to its recipient; the result to record (delivered, refused, failed), or None when
        the platform could not be reached or is failing, so the nudge stays in the outbox for the retry."""
        ...

    async def send_welfare(self, note: WelfareNote) -> DeliveryResult | None:
        """Send a welfare note privately; delivered, or refused (`dms_closed` when the member takes no private
        messages, remembered as for a nudge), or None when the platform could not be reached (nothing is retried:
        no incident exists)."""
        ...

    async def post_alerts(self, channel_id: str, community_id: str,
                          alerts: Sequence[CommitteeAlert]) -> Sequence[CommitteeAlert]:
        """Post one community's alerts (in order, as few messages as the platform allows) in its alert channel;
        return the alerts the platform failed to take for now (unreachable, 5xx, rate limited), to post again.
        A refusal (no access to the channel) is logged and not returned: posting again would not help."""
        ...
