"""The bounded Socket Mode client against the fake Slack: while envelopes are unhandled it reads no more (the rest
wait in the socket), and every envelope is handled once they are."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.runners import BoundedSocketModeHandler
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.conftest import ALICE, GENERAL, TEAM, eventually


async def test_the_client_stops_reading_while_envelopes_are_unhandled(fake: FakeSlack) -> None:
    app = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url), signing_secret="unused",
                   process_before_response=True)  # the listener runs inside the handling of its envelope
    release = asyncio.Event()
    started: list[str] = []

    @app.event("message")
    async def slow(event: dict[str, Any]) -> None:  # a listener stuck on something
        started.append(event["text"])
        await release.wait()

    handler = BoundedSocketModeHandler(app, APP_TOKEN, limit=5)
    await handler.connect_async()
    await fake.wait_for_socket()
    try:
        for n in range(60):
            await fake.send_envelope("events_api", payloads.event_callback(
                TEAM, payloads.message(ALICE, GENERAL, f"message {n}")), wait_ack=False)
        await eventually(lambda: len(started) == 5, 10, "five listeners running")
        client: Any = handler.client
        await asyncio.sleep(0.2)  # give the client time to read more than it should, if it would
        assert len(started) == 5  # no sixth while five are unhandled
        assert client.message_queue.qsize() <= 5  # the rest wait in the socket, not in memory
        release.set()
        await eventually(lambda: len(started) == 60, 20, "every envelope handled")
        assert started == [f"message {n}" for n in range(60)]
    finally:
        release.set()
        await handler.close_async()
