"""Members' messages: each event is translated and queued in the runtime's intake; Slack's retries are dropped."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from bot.models import MessageEvent
from bot.slack.events import from_message_event, thread_of

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)

SEEN_EVENTS = 20_000  # event ids remembered so Slack's retries are dropped before they reach the core


class MessageListener:
    """Translates message events for the intake, once each."""

    def __init__(self, bot: SlackBot) -> None:
        self.bot = bot
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.dropped = 0  # message events skipped (not a member's message) or repeated deliveries

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        """Bolt has acknowledged the event: only queue it, so a flood waits in the bounded inbox."""
        try:
            message = await self._accept(body, event, context)
        except BaseException:
            self.dropped += 1
            raise
        if message is None:
            self.dropped += 1
        else:
            self.bot.intake.put(message)

    async def _accept(self, body: dict[str, Any], event: dict[str, Any],
                      context: dict[str, Any]) -> MessageEvent | None:
        event_id = str(body.get("event_id") or "")
        if event_id and event_id in self._seen:
            log.debug("dropping a repeated delivery of event %s", event_id)
            return None
        team_id = str(context.get("team_id") or body.get("team_id") or "")
        message = from_message_event(team_id, event, await self.bot.workspace_url(team_id))
        if message is None:
            return None
        if event_id and event_id in self._seen:  # the same event again while the workspace URL was asked for
            return None
        thread_ts = thread_of(event)
        if thread_ts:
            self.bot.notifier.remember_thread(message.message_id, thread_ts)
        if event_id:
            self._remember(event_id)  # queued now: a retry of it is a repeat
        return message

    def _remember(self, event_id: str) -> None:
        self._seen[event_id] = None
        while len(self._seen) > SEEN_EVENTS:
            self._seen.popitem(last=False)


def register(bot: SlackBot) -> None:
    """Listen to message events."""
    bot.app.event("message")(bot.messages.on_message)
