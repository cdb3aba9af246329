"""Fixtures for the Slack tests: a fake Slack on a random port and the real Bolt app, over Socket Mode or HTTP."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import Core, build_scanner, open_core
from bot.detection.scanner import Scanner
from bot.models import Community, Platform
from bot.settings import Secret, Settings
from bot.slack.app import SlackBot
from bot.slack.runners import BoundedSocketModeHandler
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T0LEICSU"
ALICE, BOB, CAROL, DAVE, ERIN = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"
GENERAL, PRIVATE, COMMITTEE_CHANNEL, ALERTS = "C0GENERAL", "C0PRIVATE", "C0COMMITTEE", "C0ALERTS"
COMMITTEE_GROUP = "S0COMMITTEE"

BREACH = "you are a worthless idiot and everyone hates you"  # 5.5.3 insult, medium
SERIOUS = "go kill yourself loser"  # 5.5.1, critical: the committee is alerted
CLEAN = "Is anyone going to the social on Friday?"


@pytest.fixture(scope="session")
def shared_scanner() -> Scanner:
    """The rule packs compile once per test session."""
    return build_scanner(Settings())


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A workspace: Alice and Bob are members, Carol is in the committee user group, Dave in the committee
    channel, Erin is not in #general."""
    slack = make_workspace()
    await slack.start()
    yield slack
    await slack.close()


def make_workspace() -> FakeSlack:
    """The `fake` fixture's workspace, not yet started (for fixtures of a wider scope)."""
    slack = FakeSlack(team_id=TEAM)
    for user, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol"), (DAVE, "dave"), (ERIN, "erin")):
        slack.add_user(user, name)
    slack.add_channel(GENERAL, "general", [ALICE, BOB, CAROL, DAVE])
    slack.add_channel(PRIVATE, "society-private", [ALICE, BOB], private=True)
    slack.add_channel(COMMITTEE_CHANNEL, "committee", [DAVE])
    slack.add_channel(ALERTS, "nudgebot-alerts", [CAROL, DAVE])
    slack.add_usergroup(COMMITTEE_GROUP, [CAROL])
    return slack


def make_settings(tmp_path: Path, mode: str = "socket") -> Settings:
    """Settings for one test: its own database file and the fake's tokens."""
    return Settings(db_path=tmp_path / "nudgebot.db", slack_bot_token=Secret(BOT_TOKEN),
                    slack_app_token=Secret(APP_TOKEN), slack_signing_secret=Secret(SIGNING_SECRET),
                    slack_mode=mode, nudge_window_hours=0)


async def open_test_core(settings: Settings, scanner: Scanner) -> Core:
    """The real core on a fresh SQLite file, with the workspace's committee set up."""
    core = await open_core(settings, scanner=scanner)
    community = Community(platform=Platform.SLACK, community_id=TEAM, committee_role=COMMITTEE_GROUP,
                          committee_channel=COMMITTEE_CHANNEL, alert_channel=ALERTS)
    await core.store.save_community(community, datetime.now(UTC))
    return core


class Harness:
    """Drives the real Bolt app the way Slack does, in either mode, and reads the results."""

    def __init__(self, mode: str, fake: FakeSlack, bot: SlackBot, settings: Settings) -> None:
        self.mode = mode
        self.fake = fake
        self.bot = bot
        self.settings = settings
        self.sender: payloads.SignedSender | None = None

    async def event(self, event: dict[str, Any], *, event_id: str | None = None,
                    retry_num: int | None = None) -> dict[str, Any]:
        """Deliver one Events API event; return the event_callback body sent."""
        body = payloads.event_callback(TEAM, event, event_id=event_id)
        if self.mode == "http":
            assert self.sender is not None
            status, _ = await self.sender.event(body, retry_num=retry_num)
            assert status == 200
        else:
            await self.fake.send_envelope("events_api", body, retry_attempt=retry_num)
        return body

    async def command(self, command: str, text: str, user: str, channel: str = GENERAL) -> str:
        """Run a slash command; return the response URL key its answers go to."""
        key = f"cmd-{time.monotonic_ns()}"
        form = payloads.slash_command(TEAM, command, text, user, channel, self.fake.response_url(key))
        if self.mode == "http":
            assert self.sender is not None
            status, _ = await self.sender.command(form)
            assert status == 200
        else:
            await self.fake.send_envelope("slash_commands", form)
        return key

    async def command_ack(self, command: str, text: str, user: str) -> dict[str, Any]:
        """Run a slash command answered in its acknowledgement; return that answer."""
        form = payloads.slash_command(TEAM, command, text, user, GENERAL, self.fake.response_url())
        if self.mode == "http":
            assert self.sender is not None
            status, text_body = await self.sender.command(form)
            assert status == 200
            return json.loads(text_body)
        ack = await self.fake.send_envelope("slash_commands", form)
        assert ack is not None
        return ack.get("payload") or {}

    async def interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Deliver a button press, shortcut or modal submission; return what the app acknowledged with."""
        if self.mode == "http":
            assert self.sender is not None
            status, body = await self.sender.interaction(payload)
            assert status == 200
            return json.loads(body) if body.startswith("{") else {}
        ack = await self.fake.send_envelope("interactive", payload)
        return (ack or {}).get("payload") or {}

    async def settled(self, events: int, timeout: float = 15) -> None:
        """Wait until the app has finished with `events` message events in total, and posted their alerts."""
        await eventually(lambda: self.bot.handled_events >= events and self.bot.delivery.alert_backlog == 0,
                         timeout, f"the app finished {self.bot.handled_events} of {events} events and their alerts")

    def incidents(self) -> list[sqlite3.Row]:
        """The incidents table, read straight from the SQLite file."""
        with sqlite3.connect(self.settings.db_path) as connection:
            connection.row_factory = sqlite3.Row
            return connection.execute("SELECT * FROM incidents ORDER BY id").fetchall()

    def responses(self, key: str) -> list[Any]:
        """What the app sent to one response URL."""
        return [p for p in self.fake.responses() if p.channel == key]


async def eventually(predicate: Callable[[], bool], timeout: float = 10, what: str = "condition") -> None:
    """Poll until `predicate()` holds, failing at the deadline (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.01)


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path,
                  shared_scanner: Scanner) -> AsyncIterator[Harness]:
    """The real Bolt app against the fake Slack: over Socket Mode, and over signed HTTP requests."""
    async with RunningApp(request.param, fake, tmp_path, shared_scanner) as h:
        yield h


@pytest.fixture
async def socket_harness(fake: FakeSlack, tmp_path: Path, shared_scanner: Scanner) -> AsyncIterator[Harness]:
    """The app over Socket Mode only."""
    async with RunningApp("socket", fake, tmp_path, shared_scanner) as h:
        yield h


@pytest.fixture
async def http_harness(fake: FakeSlack, tmp_path: Path, shared_scanner: Scanner) -> AsyncIterator[Harness]:
    """The app over HTTP only."""
    async with RunningApp("http", fake, tmp_path, shared_scanner) as h:
        yield h


class RunningApp:
    """Start the core, the Bolt app and its transport; stop them all afterwards."""

    def __init__(self, mode: str, fake: FakeSlack, tmp_path: Path, scanner: Scanner, *,
                 settings: Settings | None = None) -> None:
        self.mode, self.fake, self.tmp_path, self.scanner = mode, fake, tmp_path, scanner
        self.settings = settings or make_settings(tmp_path, mode)
        self._cleanup: list[Callable[[], Any]] = []

    async def __aenter__(self) -> Harness:
        settings = replace(self.settings, slack_mode=self.mode)
        core = await open_test_core(settings, self.scanner)
        self._cleanup.append(core.close)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=self.fake.api_url)
        bot = SlackBot(core, settings, client, process_before_response=self.mode == "http")
        await bot.start()
        self._cleanup.append(bot.close)
        harness = Harness(self.mode, self.fake, bot, settings)
        if self.mode == "http":
            runner = web.AppRunner(bot.app.web_app(path="/slack/events"), handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            session = aiohttp.ClientSession()
            harness.sender = payloads.SignedSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, session)
            self._cleanup += [runner.cleanup, session.close]
        else:
            handler = BoundedSocketModeHandler(bot.app, APP_TOKEN)
            await handler.connect_async()
            await self.fake.wait_for_socket()
            self._cleanup.append(handler.close_async)
        return harness

    async def __aexit__(self, *exc: object) -> None:
        for step in reversed(self._cleanup):
            await step()
