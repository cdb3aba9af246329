"""Members' messages on their way through the core: the inbox, the workers that moderate them, and the hand-over
of each outcome to the delivery service. Both adapters put translated events here and nothing more.

Messages wait in the inbox (`bot.runtime.inbox`: bounded memory, overflow and leftovers in its spool file) and
are handed to a fixed set of workers, chosen by message id, so the bot never runs more than a bounded number of
moderations at once and a message's edits are handled after the message itself. The moderator skips the
committee's alert channel itself, on both platforms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.models import MessageEvent, Platform
from bot.runtime.inbox import Inbox
from bot.runtime.workers import Workers

if TYPE_CHECKING:
    from bot.core import Core
    from bot.runtime.delivery import DeliveryService

log = logging.getLogger(__name__)

WORKERS = 16  # messages moderated at once; a message and its edits always go to the same worker
DRAIN_SECONDS = 15.0  # at stop, for the messages in hand


class Intake:
    """One platform's inbox and moderation workers, delivering each outcome through `delivery`."""

    def __init__(self, core: Core, platform: Platform, delivery: DeliveryService, *, workers: int = WORKERS,
                 spool_tag: str = "", ids_of: Callable[[MessageEvent], Mapping[str, Any]] | None = None) -> None:
        """`spool_tag` keeps this process's spool apart from others' (a Discord process running some shards);
        `ids_of` adds ids to every line logged while a message is handled (the shard it came on)."""
        self.core = core
        self.delivery = delivery
        self.inbox = Inbox(core.store.local_path, platform, workers, memory_limit=core.settings.inbox_memory,
                           spool_tag=spool_tag)
        self._workers = Workers(self.inbox, workers, self._moderate, name=f"nudgebot-{platform.value}-moderation",
                                ids_of=ids_of)
        self.received = 0  # since start, for health checks and load tests: messages and edits queued

    def put(self, event: MessageEvent) -> None:
        """Queue one message (or edit) for moderation; never awaits, so events keep the platform's order."""
        self.received += 1
        self.inbox.put(event)

    @property
    def handled(self) -> int:
        """Messages and edits fully handled since start (moderated and delivered, or failed and logged)."""
        return self._workers.handled

    @property
    def backlog(self) -> int:
        """Messages waiting for moderation (in memory or in the spool) or being moderated."""
        return self.inbox.backlog

    async def start(self) -> None:
        """Open the inbox (messages left waiting by the last run first) and start the workers."""
        await self.inbox.start()
        self._workers.start()

    async def stop(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Let each worker finish the message in hand (bounded) and save what still waits for the next start."""
        await self._workers.stop(drain_seconds)

    async def _moderate(self, event: MessageEvent) -> None:
        outcome = await self.core.moderator.handle(event)  # logs and ignores a message it cannot handle
        if log.isEnabledFor(logging.DEBUG):  # per message: build the record's ids only when it is written
            log.debug("moderated", extra={"message_id": event.message_id, "decision": outcome.decision})
        await self.delivery.deliver(outcome)
