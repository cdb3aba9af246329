"""A load run through the fake Slack: seeded society chat in as Events API envelopes, incidents and nudges checked.

Used by `benchmarks/bench_slack.py` (10,000 events, figures printed) and by a smaller test. The expected
incidents come from running the scanner over the same texts beforehand, independently of the app; the check then
reads the SQLite file and the ephemeral messages the fake received. Some events are delivered twice (Slack's
retries, same event id) and some Web API calls answer 429, as Slack does under load.
"""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.chat_corpus import generate
from bot.core import build_scanner, open_core
from bot.models import Community, Platform
from bot.scanner import Scanner
from bot.settings import Secret, Settings
from bot.slack_app import SlackBot
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack

TEAM = "T0LOADTEST"
SECRET = "load-test-signing-secret"
CHANNELS = ("C0GENERAL", "C0SOCIALS", "C0SPORTS", "C0PRIVATE")


@dataclass
class LoadReport:
    """What a load run measured and what it found wrong (every list empty means nothing lost or doubled)."""

    mode: str
    events: int
    retries: int
    breaching_expected: int
    incidents: int
    nudges_delivered: int
    ephemerals: int
    alerts_posted: int
    rate_limited: int
    send_seconds: float
    total_seconds: float
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    nudged_twice: list[int] = field(default_factory=list)
    undelivered: list[int] = field(default_factory=list)

    @property
    def events_per_second(self) -> float:
        """End to end: every event sent, acknowledged, moderated, recorded and its nudge delivered."""
        return (self.events + self.retries) / self.total_seconds if self.total_seconds else 0.0

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled, every nudge delivered once."""
        return not (self.lost or self.unexpected or self.duplicated or self.nudged_twice or self.undelivered)


def expected_incidents(scanner: Scanner, texts: dict[str, str]) -> set[str]:
    """Message ids the core must record: a breach stands and no welfare signal takes precedence."""
    expected = set()
    for message_id, text in texts.items():
        verdict = scanner.scan(text)
        if verdict.matches and not verdict.welfare:
            expected.add(message_id)
    return expected


async def run_load(db_path: Path, *, events: int = 10_000, breach_rate: float = 0.08, retry_rate: float = 0.02,
                   authors: int = 300, rate_limited: int = 10, mode: str = "socket", seed: int = 2026,
                   scanner: Scanner | None = None, timeout: float = 600) -> LoadReport:
    """Send seeded chat through the real Bolt app and check every incident and nudge."""
    scanner = scanner or build_scanner(Settings())
    rng = random.Random(seed)
    fake = FakeSlack(team_id=TEAM)
    members = [f"U{index:07d}" for index in range(authors)]
    for user in members:
        fake.add_user(user, user.lower())
    for channel in CHANNELS:
        fake.add_channel(channel, channel.lower(), members, private=channel == "C0PRIVATE")
    fake.add_channel("C0ALERTS", "alerts", [])
    await fake.start()
    fake.rate_limit_next("chat.postEphemeral", times=rate_limited, retry_after=0)

    settings = Settings(db_path=db_path, slack_bot_token=Secret(BOT_TOKEN), slack_app_token=Secret(APP_TOKEN),
                        slack_signing_secret=Secret(SECRET), slack_mode=mode, nudge_window_hours=0)
    core = await open_core(settings, scanner=scanner)
    await core.store.save_community(Community(platform=Platform.SLACK, community_id=TEAM,
                                              alert_channel="C0ALERTS"), datetime.now(UTC))
    bot = SlackBot(core, settings, AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url),
                   process_before_response=mode == "http")

    bodies: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    for chat in generate(events, seed=seed, breach_rate=breach_rate):
        channel = rng.choice(CHANNELS)
        event = payloads.message(rng.choice(members), channel, chat.text,
                                 channel_type="group" if channel == "C0PRIVATE" else "channel")
        texts[f"{channel}:{event['ts']}"] = chat.text
        bodies.append(payloads.event_callback(TEAM, event))
    retries = [dict(body) for body in rng.sample(bodies, int(len(bodies) * retry_rate))]
    expected = expected_incidents(scanner, texts)

    cleanup: list[Any] = [fake.close, core.close]
    await bot.start()
    cleanup.insert(0, bot.close)
    try:
        send = await (_http_transport(bot, cleanup) if mode == "http" else _socket_transport(bot, fake, cleanup))
        # A running app has already authorised itself with auth.test; warm up with one clean message so the
        # burst below measures moderation, not the first request's start-up.
        await send(payloads.event_callback(TEAM, payloads.message(members[0], CHANNELS[0], "warming up")), None)
        while bot.handled_events < 1:
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        await asyncio.gather(*(send(body, None) for body in bodies))
        await asyncio.gather(*(send(body, 1) for body in retries))
        send_seconds = time.perf_counter() - started
        total = 1 + len(bodies) + len(retries)
        deadline = time.monotonic() + timeout
        while bot.handled_events < total and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        total_seconds = time.perf_counter() - started
    finally:
        for step in cleanup:
            await step()
    return _check(db_path, fake, mode, len(bodies), len(retries), expected, send_seconds, total_seconds)


Send = Callable[[dict[str, Any], int | None], Awaitable[None]]


async def _socket_transport(bot: SlackBot, fake: FakeSlack, cleanup: list[Any]) -> Send:
    """Events pushed down the Socket Mode websocket, as Slack does, without waiting for each ack."""
    handler = AsyncSocketModeHandler(bot.app, APP_TOKEN)
    await handler.connect_async()
    cleanup.insert(0, handler.close_async)
    await fake.wait_for_socket()

    async def send(body: dict[str, Any], retry: int | None) -> None:
        await fake.send_envelope("events_api", body, retry_attempt=retry, wait_ack=False)

    return send


async def _http_transport(bot: SlackBot, cleanup: list[Any]) -> Send:
    """Signed POSTs to the app's HTTP endpoint, 32 at a time (Slack's delivery is concurrent too)."""
    runner = web.AppRunner(bot.app.web_app(path="/slack/events"), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32))
    cleanup[:0] = [session.close, runner.cleanup]
    sender = payloads.SignedSender(f"http://127.0.0.1:{port}/slack/events", SECRET, session)

    async def send(body: dict[str, Any], retry: int | None) -> None:
        status, _ = await sender.event(body, retry_num=retry)
        if status != 200:
            raise RuntimeError(f"the app answered {status}")

    return send


def _check(db_path: Path, fake: FakeSlack, mode: str, events: int, retries: int, expected: set[str],
           send_seconds: float, total_seconds: float) -> LoadReport:
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute("SELECT id, message_id, delivery_status FROM incidents").fetchall()
    per_message = Counter(message_id for _, message_id, _ in rows)
    recorded = set(per_message)
    nudges = Counter()
    for posted in fake.ephemerals():
        for block in posted.blocks:
            if block.get("type") == "actions":
                nudges[int(block["elements"][0]["value"])] += 1
    delivered = [incident_id for incident_id, _, status in rows if status == "delivered"]
    return LoadReport(
        mode=mode, events=events, retries=retries, breaching_expected=len(expected), incidents=len(rows),
        nudges_delivered=len(delivered), ephemerals=len(fake.ephemerals()),
        alerts_posted=len(fake.messages_in("C0ALERTS")),
        rate_limited=sum(1 for call in fake.calls if call.status == 429),
        send_seconds=send_seconds, total_seconds=total_seconds,
        lost=sorted(expected - recorded), unexpected=sorted(recorded - expected),
        duplicated=sorted(m for m, n in per_message.items() if n > 1),
        nudged_twice=sorted(i for i, n in nudges.items() if n > 1),
        undelivered=sorted(i for i, _, status in rows if status != "delivered" or nudges[i] != 1),
    )


def summary(report: LoadReport) -> list[tuple[str, str]]:
    """The figures as (name, value) rows for printing."""
    return [
        ("mode", report.mode),
        ("events sent", f"{report.events:,} (+{report.retries} Slack retries, same event id)"),
        ("breaching (scanner ground truth)", f"{report.breaching_expected:,} "
                                             f"({report.breaching_expected / report.events:.1%})"),
        ("incidents recorded", f"{report.incidents:,}"),
        ("nudges delivered / ephemerals sent", f"{report.nudges_delivered:,} / {report.ephemerals:,}"),
        ("committee alerts posted", f"{report.alerts_posted:,}"),
        ("HTTP 429 answers honoured", f"{report.rate_limited:,}"),
        ("lost / unexpected / duplicated incidents",
         f"{len(report.lost)} / {len(report.unexpected)} / {len(report.duplicated)}"),
        ("nudges sent twice / undelivered", f"{len(report.nudged_twice)} / {len(report.undelivered)}"),
        ("time to send all events", f"{report.send_seconds:.2f} s"),
        ("time until all moderated and delivered", f"{report.total_seconds:.2f} s"),
        ("end-to-end throughput", f"{report.events_per_second:,.0f} events/s"),
    ]


def as_json(report: LoadReport) -> str:
    """The report as one JSON line (for scripts)."""
    return json.dumps({name: value for name, value in summary(report)})
