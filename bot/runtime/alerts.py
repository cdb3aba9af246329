"""Committee alerts on their way to the alert channel: queued, posted in order by one task, held while the
platform fails and posted again by the outbox retry.

Queued, not awaited: the alert channel has its own rate limit, and moderation and nudges must not wait behind a
burst of alerts (a raid, say). Whatever queued up meanwhile goes out together, grouped by community.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.logsetup import bound_ids
from bot.models import CommitteeAlert, Platform
from bot.runtime.notifier import Notifier
from bot.store import Store

log = logging.getLogger(__name__)

MAX_HELD_ALERTS = 500  # alerts kept for a retry while the platform is failing
DRAIN_SECONDS = 15.0  # at stop, for the alerts still queued


class AlertPoster:
    """One platform's queue of committee alerts and the task that posts it through the adapter's notifier."""

    def __init__(self, store: Store, platform: Platform, notifier: Notifier,
                 ids_of: Callable[[str], Mapping[str, Any]] | None = None) -> None:
        self._store = store
        self._ids_of = ids_of  # a community's ids for every line about it (workspace_id, Discord's shard_id)
        self._platform = platform
        self._notifier = notifier
        self._queue: asyncio.Queue[CommitteeAlert] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._pending = 0
        self._held: list[CommitteeAlert] = []  # alerts the platform failed to take, for the outbox retry

    def post(self, alerts: Iterable[CommitteeAlert]) -> None:
        """Queue alerts for their community's alert channel; the poster task sends them in order."""
        for alert in alerts:
            self._pending += 1
            self._queue.put_nowait(alert)

    @property
    def backlog(self) -> int:
        """Alerts queued or being posted."""
        return self._pending

    @property
    def held(self) -> int:
        """Alerts the platform failed to take, waiting for the outbox retry."""
        return len(self._held)

    def repost_held(self) -> int:
        """Queue the held alerts again (the outbox retry does this); returns how many."""
        held, self._held = self._held, []
        self.post(held)
        return len(held)

    def start(self) -> None:
        """Start the poster task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"nudgebot-{self._platform.value}-alerts")

    async def stop(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Post the alerts still queued (bounded), then stop the poster."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), drain_seconds)
        except TimeoutError:
            log.warning("stopping with alerts not posted", extra={"queued": self._queue.qsize()})
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            # The channel's rate limit makes a burst queue up: what waits goes out together.
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                for community_id in dict.fromkeys(a.community_id for a in batch):
                    with bound_ids(**(self._ids_of(community_id) if self._ids_of else {"workspace_id": community_id})):
                        await self._post(community_id, [a for a in batch if a.community_id == community_id])
            except Exception:
                log.exception("alerts not posted", extra={"alerts": len(batch)})
            finally:
                self._pending -= len(batch)
                for _ in batch:
                    self._queue.task_done()

    async def _post(self, community_id: str, alerts: list[CommitteeAlert]) -> None:
        """Post one community's alerts in its alert channel (or, on Slack, its committee channel); never in an
        open channel."""
        community = await self._store.get_community(self._platform, community_id)
        ids = {"community_id": community_id, "kinds": [a.kind.value for a in alerts],
               "incident_ids": [i for a in alerts for i in a.incident_ids]}
        if not community.alerts_channel:
            log.warning("committee alert not posted: no alert channel is set", extra=ids)
            return
        failed = list(await self._notifier.post_alerts(community.alerts_channel, community_id, alerts))
        if not failed:
            return
        if len(self._held) + len(failed) <= MAX_HELD_ALERTS:
            self._held.extend(failed)
            log.warning("committee alert not posted; the outbox retry posts it again",
                        extra={**ids, "held": len(self._held)})
        else:
            log.error("committee alert not posted and too many are held already", extra=ids)
