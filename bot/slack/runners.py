"""Running the Slack adapter: over Socket Mode (no public URL needed) or HTTP, until told to stop.

slack_sdk's Socket Mode client reads every frame into an unbounded queue and starts a task per envelope, so a burst
is held in memory however slowly it is handled. Here the queue has a size (the receive loop waits when it is full,
and Slack's frames wait in the socket) and at most IN_FLIGHT envelopes are handled at once. Acknowledging is
unchanged: Bolt acknowledges each envelope as soon as its listener has queued the message in the inbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient

from bot.errors import PlatformUnreachable, connection_failure
from bot.runtime.warmup import warm_scanner

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)

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


def unreachable(exc: aiohttp.ClientConnectorError, setting: str = "--api-url") -> PlatformUnreachable:
    """The one line for a Slack that cannot be reached at all (no network, no DNS, a wrong --api-url)."""
    return PlatformUnreachable("Slack", f"{exc.host}:{exc.port}", connection_failure(exc.os_error), setting)


async def _start(bot: SlackBot) -> None:
    """`bot.start()`, whose first call (auth.test) is where an unreachable Slack shows. Once connected, Socket Mode
    rides out a lost network by itself: slack_sdk's client checks the socket every ping interval (5 s) and opens a
    new one, asking apps.connections.open again, until it succeeds. The scanner is made ready first, so the first
    events are not held up by its compiling (`bot.runtime.warmup`)."""
    await asyncio.to_thread(warm_scanner, bot.core.scanner)
    try:
        await bot.start()
    except aiohttp.ClientConnectorError as exc:
        raise unreachable(exc) from None


async def run_socket_mode(bot: SlackBot, app_token: str, stop: asyncio.Event) -> None:
    """Connect over Socket Mode (no public URL needed), deliver the outbox, and serve until `stop` is set."""
    try:  # closed whatever happens: a start that fails must not leave its HTTP session open
        await _start(bot)
        handler = BoundedSocketModeHandler(bot.app, app_token)
        try:
            await handler.connect_async()
            log.info("connected to Slack over Socket Mode")
            await bot.delivery.deliver_outbox()
            await stop.wait()
        finally:
            await handler.close_async()
    finally:
        await bot.close()


async def run_http(bot: SlackBot, host: str, port: int, path: str, stop: asyncio.Event) -> None:
    """Serve Slack's signed requests on host:port/path (HTTP mode), deliver the outbox, serve until `stop`."""
    try:  # closed whatever happens: a start that fails must not leave its HTTP session open
        await _start(bot)
        runner = web.AppRunner(bot.app.web_app(path=path, port=port), handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
            log.info("listening for Slack on http://%s:%d%s", host, port, path)
            await bot.delivery.deliver_outbox()
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        await bot.close()
