"""Fixtures for the Slack fault tests: the Slack tests' fake workspace (reused by import) and the real Bolt app
over Socket Mode, retrying its outbox every RETRY_SECONDS."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.detection.scanner import Scanner
from bot.slack.app import SlackBot
from bot.slack.runners import BoundedSocketModeHandler
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.conftest import Harness, fake, make_settings, open_test_core, shared_scanner

__all__ = ["fake", "shared_scanner"]

RETRY_SECONDS = 0.2  # the outbox retry's interval in these tests (30 s in production)


@pytest.fixture
async def slack_app(fake: FakeSlack, tmp_path: Path, shared_scanner: Scanner) -> AsyncIterator[Harness]:
    """The real core and Bolt app over Socket Mode against the fake Slack."""
    settings = make_settings(tmp_path, "socket")
    async with AsyncExitStack() as stack:
        core = await open_test_core(settings, shared_scanner)
        stack.push_async_callback(core.close)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        bot = SlackBot(core, settings, client, outbox_retry_seconds=RETRY_SECONDS)
        await bot.start()
        stack.push_async_callback(bot.close)
        handler = BoundedSocketModeHandler(bot.app, APP_TOKEN)
        await handler.connect_async()
        stack.push_async_callback(handler.close_async)
        await fake.wait_for_socket()
        yield Harness("socket", fake, bot, settings)
