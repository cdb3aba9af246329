"""Socket Mode with a brake: slack_sdk's aiohttp client, reading no more envelopes while too many are unhandled.

slack_sdk's client reads every frame into an unbounded queue and starts a task per envelope, so a burst is held in
memory however slowly it is handled. Here the queue has a size (the receive loop waits when it is full, and Slack's
frames wait in the socket) and at most `limit` envelopes are handled at once. Acknowledging is unchanged: Bolt
acknowledges each envelope as soon as its listener has queued the message in the inbox.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient

IN_FLIGHT = 500  # envelopes read from the socket and not yet handled


class BoundedSocketModeClient(SocketModeClient):
    """At most `limit` envelopes queued and at most `limit` being handled; the receive loop waits beyond that."""

    def __init__(self, *args: Any, limit: int = IN_FLIGHT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Replaced before the message processor (started by the parent) first reads it.
        self.message_queue: asyncio.Queue[str] = asyncio.Queue(maxsize=limit)
        self._slots = asyncio.Semaphore(limit)

    async def process_message(self) -> None:
        """Take one envelope and handle it in its own task, once fewer than `limit` are being handled."""
        raw_message = await self.message_queue.get()
        if raw_message is None:
            return
        message = json.loads(raw_message) if raw_message.startswith("{") else {}
        await self._slots.acquire()
        task = asyncio.ensure_future(self.run_message_listeners(message, raw_message))
        task.add_done_callback(lambda _: self._slots.release())


class BoundedSocketModeHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler on the bounded client."""

    def __init__(self, app: AsyncApp, app_token: str, *, limit: int = IN_FLIGHT) -> None:
        # The parent's __init__ builds slack_sdk's own client; this builds the bounded one the same way instead.
        self.app = app
        self.app_token = app_token
        self.client = BoundedSocketModeClient(app_token=app_token, logger=app.logger,
                                              web_client=app.client, limit=limit)  # type: ignore[arg-type]
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
