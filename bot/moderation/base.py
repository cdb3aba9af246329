"""The moderator's state and the two steps every part of it uses: reading a community's settings and running a
follow-up step whose failure must not undo a committed incident."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import deque
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TypeVar

from bot.closed_dms import ClosedDms
from bot.detection.clauses import PolicyBook
from bot.detection.scanner import Scanner
from bot.escalation import Clock, EscalationTracker, utc_now
from bot.models import Audience, Community, DeliveryResult, MessageEvent, NewIncident, Platform
from bot.settings import Settings
from bot.store import STORE_FAILURES, Store

log = logging.getLogger(__name__)
T = TypeVar("T")

def aware(moment: datetime) -> datetime:
    """Platforms hand us aware datetimes; a naive one (an export) is taken to be UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def audience_of(event: MessageEvent, community: Community) -> Audience:
    """Under 18 when the channel, or the channel a thread hangs off, is one of the community's under-18 channels."""
    channels = community.under18_channels
    if event.channel_id in channels or (event.parent_channel_id and event.parent_channel_id in channels):
        return Audience.UNDER18
    return Audience.GENERAL


def in_alerts_channel(event: MessageEvent, community: Community) -> bool:
    """Posted where the committee gets its alerts (or in a thread there): they discuss incidents in it, so it is
    not moderated, on any platform."""
    channel = community.alerts_channel
    return bool(channel) and channel in (event.channel_id, event.parent_channel_id)


def ids_of(event: MessageEvent) -> dict[str, object]:
    """The ids that identify a message in a log line (never its text)."""
    # getattr: this also runs in the error handler, where the event itself may be what is malformed.
    return {name: str(getattr(event, name, "?")) for name in ("platform", "community_id", "channel_id", "message_id",
                                                               "revision")}


class ModeratorBase:
    """What the moderator holds: the store, the scanner and policy, the settings, and what waits in memory."""

    def __init__(self, store: Store, scanner: Scanner, policy: PolicyBook, settings: Settings,
                 clock: Clock = utc_now, escalation: EscalationTracker | None = None) -> None:
        self.store = store
        self.scanner = scanner
        self.policy = policy
        self.settings = settings
        self.clock = clock
        self.escalation = escalation or EscalationTracker.from_settings(store, settings, clock)
        self.closed_dms = ClosedDms(store, clock)
        self._categories = {rule.id: rule.category for rule in scanner.rule_set.rules}
        self._pending: deque[NewIncident] = deque()
        self._held_deliveries: dict[int, DeliveryResult] = {}  # delivery results the database could not take
        # Held only while a message of that author is in hand, so the map does not grow with every author seen.
        self._author_locks: weakref.WeakValueDictionary[tuple[str, str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self._flush_lock = asyncio.Lock()
        self._next_flush = 0.0  # time.monotonic() before which handle() does not retry a failing database
        # Per community: when its committee may next be told (again) that the database is failing.
        self._next_degraded_alert: dict[tuple[str, str], float] = {}
        self._named_channels: set[tuple[str, str, str, str]] = set()  # channel names already saved for reports

    async def _community(self, platform: Platform, community_id: str) -> Community:
        """A community's settings, or the defaults while the store cannot be read (moderation goes on)."""
        try:
            return await self.store.get_community(platform, community_id)
        except STORE_FAILURES:
            # The defaults keep moderation going; the record step will find out whether the store is really down.
            log.warning("community settings unreadable; using defaults",
                        extra={"platform": platform.value, "community_id": community_id})
            return Community(platform=platform, community_id=community_id,
                             keep_full_content=self.settings.keep_full_content,
                             retention_days=self.settings.retention_days)

    async def _quietly(self, work: Awaitable[T]) -> T | None:
        """Await a follow-up step whose failure must not undo an incident that is already committed."""
        try:
            return await work
        except Exception:
            log.exception("a follow-up step failed after the incident was recorded")
            return None
