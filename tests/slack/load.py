"""A load run through the fake Slack: seeded society chat in as Events API envelopes, incidents and nudges checked.

Used by `benchmarks/bench_slack.py` (10,000 events, figures printed) and by a smaller test. The expected
incidents come from running the scanner over the same texts beforehand, independently of the app; the check then
reads the SQLite file and the ephemeral messages the fake received. Some events are delivered twice (Slack's
retries, same event id) and some Web API calls answer 429, as Slack does under load.

By default the app runs in this process and event loop, beside the fake. With `bot_process=True` the bot is the
real `nudgebot slack` command in its own process, so its peak RSS is its own; completion is then seen from
outside, in the SQLite file and the fake's records.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import socket
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from benchmarks.chat_corpus import generate
from benchmarks.load_report import cpu_rows, load_average, process_cpu_seconds, process_peak_rss_mb
from bot.core import build_scanner, open_core
from bot.detection.scanner import Scanner
from bot.models import Community, Platform
from bot.settings import Secret, Settings
from bot.slack.app import SlackBot
from bot.slack.runners import BoundedSocketModeHandler
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack

TEAM = "T0LOADTEST"
SECRET = "load-test-signing-secret"
CHANNELS = ("C0GENERAL", "C0SOCIALS", "C0SPORTS", "C0PRIVATE")
REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60  # for the bot process to start, connect or listen
STOP_SECONDS = 60  # for the bot process to exit after SIGINT
HTTP_CONNECTIONS = 32  # concurrent signed requests to the bot process, as Slack's delivery is concurrent
SETTLE_SECONDS = 1.0  # counts unchanged this long after completion: no late duplicate is on its way


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
    held: int = 0  # incidents held for the committee's review (the review tier): no ephemeral is due
    held_expected: int = 0  # messages the scanner holds for review
    held_nudged: list[int] = field(default_factory=list)  # held incidents that were nudged all the same
    bot_rss_mb: float | None = None  # the bot process's own peak (VmHWM) when it ran apart from the harness
    bot_cpu_seconds: float | None = None  # ... and its CPU time from the first event sent until done
    load_before: str = ""  # the machine's load averages when sending started and when done (a shared machine)
    load_after: str = ""

    @property
    def events_per_second(self) -> float:
        """End to end: every event sent, acknowledged, moderated, recorded and its nudge delivered."""
        return (self.events + self.retries) / self.total_seconds if self.total_seconds else 0.0

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled, every nudge delivered once."""
        return not (self.lost or self.unexpected or self.duplicated or self.nudged_twice or self.undelivered
                    or self.held_nudged or self.held != self.held_expected)


def expected_incidents(scanner: Scanner, texts: dict[str, str]) -> set[str]:
    """Message ids the core must record: a breach stands and no welfare signal takes precedence."""
    expected = set()
    for message_id, text in texts.items():
        verdict = scanner.scan(text)
        if verdict.matches and not verdict.welfare:
            expected.add(message_id)
    return expected


def expected_held(scanner: Scanner, texts: dict[str, str]) -> int:
    """How many of those the core holds for the committee's review (the review tier): nobody is nudged for them."""
    return sum(1 for text in texts.values()
               if (verdict := scanner.scan(text)).held_for_review and not verdict.welfare)


@dataclass
class _Scenario:
    """The fake Slack with its workspace, and the seeded events to send with what they must produce."""

    fake: FakeSlack
    settings: Settings
    members: list[str]
    bodies: list[dict[str, Any]]
    retries: list[dict[str, Any]]
    expected: set[str]
    held_expected: int

    @property
    def warm_up(self) -> dict[str, Any]:
        """One clean message, sent before the burst so the first request's start-up is not measured."""
        return payloads.event_callback(TEAM, payloads.message(self.members[0], CHANNELS[0], "warming up"))


async def _scenario(db_path: Path, scanner: Scanner, *, events: int, breach_rate: float, retry_rate: float,
                    authors: int, rate_limited: int, mode: str, seed: int) -> _Scenario:
    """Start the fake with its channels and members, and build the seeded events and the expected incidents."""
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
    bodies: list[dict[str, Any]] = []
    texts: dict[str, str] = {}
    for chat in generate(events, seed=seed, breach_rate=breach_rate):
        channel = rng.choice(CHANNELS)
        event = payloads.message(rng.choice(members), channel, chat.text,
                                 channel_type="group" if channel == "C0PRIVATE" else "channel")
        texts[f"{channel}:{event['ts']}"] = chat.text
        bodies.append(payloads.event_callback(TEAM, event))
    retries = [dict(body) for body in rng.sample(bodies, int(len(bodies) * retry_rate))]
    return _Scenario(fake, settings, members, bodies, retries, expected_incidents(scanner, texts),
                     expected_held(scanner, texts))


async def _save_alert_channel(settings: Settings, scanner: Scanner) -> None:
    """The workspace's committee alert channel, saved before the bot starts, as `--alert-channel` would."""
    core = await open_core(settings, scanner=scanner)
    try:
        await core.store.save_community(Community(platform=Platform.SLACK, community_id=TEAM,
                                                  alert_channel="C0ALERTS"), datetime.now(UTC))
    finally:
        await core.close()


async def run_load(db_path: Path, *, events: int = 10_000, breach_rate: float = 0.08, retry_rate: float = 0.02,
                   authors: int = 300, rate_limited: int = 10, mode: str = "socket", seed: int = 2026,
                   scanner: Scanner | None = None, timeout: float = 600, bot_process: bool = False) -> LoadReport:
    """Send seeded chat through the real Bolt app and check every incident and nudge.

    With `bot_process` the app is the real `nudgebot slack` command in a subprocess (see `_run_bot_process`).
    """
    scanner = scanner or build_scanner(Settings())
    scenario = await _scenario(db_path, scanner, events=events, breach_rate=breach_rate, retry_rate=retry_rate,
                               authors=authors, rate_limited=rate_limited, mode=mode, seed=seed)
    try:
        await _save_alert_channel(scenario.settings, scanner)
    except BaseException:
        await scenario.fake.close()
        raise
    if bot_process:
        return await _run_bot_process(scenario, mode, timeout)
    return await _run_in_process(scenario, scanner, mode, timeout)


async def _run_in_process(scenario: _Scenario, scanner: Scanner, mode: str, timeout: float) -> LoadReport:
    """The app in this event loop beside the fake; completion read from its own event counter."""
    fake, settings, bodies, retries = scenario.fake, scenario.settings, scenario.bodies, scenario.retries
    cleanup: list[Any] = [fake.close]
    try:
        core = await open_core(settings, scanner=scanner)
        cleanup.insert(0, core.close)
        bot = SlackBot(core, settings, AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url),
                       process_before_response=mode == "http")
        await bot.start()
        cleanup.insert(0, bot.close)
        send = await (_http_transport(bot, cleanup) if mode == "http" else _socket_transport(bot, fake, cleanup))
        # A running app has already authorised itself with auth.test; warm up with one clean message so the
        # burst below measures moderation, not the first request's start-up.
        await send(scenario.warm_up, None)
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
    report = _check(settings.db_path, fake, mode, len(bodies), len(retries), scenario.expected, send_seconds,
                    total_seconds)
    report.held_expected = scenario.held_expected
    return report


async def _run_bot_process(scenario: _Scenario, mode: str, timeout: float) -> LoadReport:
    """The bot as the real CLI in its own process; completion seen in the SQLite file and the fake's records.

    Done means every expected incident recorded, none still pending delivery and one ephemeral per incident, then
    nothing changing for `SETTLE_SECONDS` (a late duplicate would show). The bot's peak RSS is read before it is
    stopped with SIGINT, and it must then exit cleanly.
    """
    fake, db_path, bodies, retries = scenario.fake, scenario.settings.db_path, scenario.bodies, scenario.retries
    port = _free_port() if mode == "http" else None
    empty_env = db_path.parent / "empty.env"  # no settings from a file (a --env-file must exist)
    empty_env.touch()
    command = [sys.executable, "-m", "bot", "slack", "--env-file", str(empty_env),
               "--mode", mode, "--api-url", fake.api_url]
    if port is not None:
        command += ["--host", "127.0.0.1", "--port", str(port)]
    log_path = db_path.with_name(db_path.name + ".bot.log")
    cleanup: list[Any] = [fake.close]
    try:
        with log_path.open("wb") as log_file:
            process = await asyncio.create_subprocess_exec(*command, env=_bot_env(db_path), cwd=REPO,
                                                           stdin=asyncio.subprocess.DEVNULL, stdout=log_file,
                                                           stderr=asyncio.subprocess.STDOUT)
    except BaseException:
        await fake.close()
        raise
    try:
        workers: int | None = None
        if port is None:
            send = await _socket_sender(fake, process, log_path)
        else:
            send = await _http_sender(f"http://127.0.0.1:{port}/slack/events", cleanup)
            workers = HTTP_CONNECTIONS
        await _until_ready(send, scenario.warm_up, process, log_path)
        load_before = load_average()
        cpu_before = process_cpu_seconds(process.pid)
        started = time.perf_counter()
        await _send_all(send, bodies, None, workers)
        await _send_all(send, retries, 1, workers)
        send_seconds = time.perf_counter() - started
        expected = len(scenario.expected)
        deadline = time.monotonic() + timeout
        progress = await _progress(db_path, fake)
        while not _complete(progress, expected, scenario.held_expected) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            progress = await _progress(db_path, fake)
        total_seconds = time.perf_counter() - started
        cpu_after = process_cpu_seconds(process.pid)
        load_after = load_average()
        await _settle(db_path, fake, progress, deadline)
        bot_rss_mb = process_peak_rss_mb(process.pid)
        await _stop(process, log_path)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        for step in cleanup:
            await step()
    report = _check(db_path, fake, mode, len(bodies), len(retries), scenario.expected, send_seconds, total_seconds)
    report.bot_rss_mb = bot_rss_mb
    if cpu_before is not None and cpu_after is not None:
        report.bot_cpu_seconds = cpu_after - cpu_before
    report.load_before, report.load_after = load_before, load_after
    report.held_expected = scenario.held_expected
    return report


async def _send_all(send: Send, bodies: list[dict[str, Any]], retry: int | None, workers: int | None) -> None:
    """Every body as fast as the transport takes it: all at once, or through `workers` senders.

    Over HTTP a few workers keep the connections busy without first building a request for every event, which
    would hold them all in the harness's memory and starve the bot until the last one was built.
    """
    if workers is None:
        await asyncio.gather(*(send(body, retry) for body in bodies))
        return
    pending = iter(bodies)

    async def worker() -> None:
        for body in pending:  # one shared iterator: each body is taken by exactly one worker
            await send(body, retry)

    await asyncio.gather(*(worker() for _ in range(workers)))


def _bot_env(db_path: Path) -> dict[str, str]:
    """The parent's environment without any nudgebot or platform settings, plus the run's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
    env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET=SECRET,
               NUDGEBOT_DB=str(db_path), NUDGEBOT_NUDGE_WINDOW_HOURS="0")
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _log_tail(log_path: Path, lines: int = 20) -> str:
    return "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


async def _socket_sender(fake: FakeSlack, process: asyncio.subprocess.Process, log_path: Path) -> Send:
    """Wait until the bot process has opened its Socket Mode connection (or has died trying)."""
    connected = asyncio.ensure_future(fake.wait_for_socket(timeout=STARTUP_SECONDS))
    exited = asyncio.ensure_future(process.wait())
    await asyncio.wait({connected, exited}, return_when=asyncio.FIRST_COMPLETED)
    exited.cancel()
    if not connected.done():
        connected.cancel()
        raise RuntimeError(f"the bot exited ({process.returncode}) before connecting:\n{_log_tail(log_path)}")
    connected.result()  # a timeout raises here

    async def send(body: dict[str, Any], retry: int | None) -> None:
        await fake.send_envelope("events_api", body, retry_attempt=retry, wait_ack=False)

    return send


async def _http_sender(url: str, cleanup: list[Any]) -> Send:
    """Signed POSTs to the bot process's HTTP endpoint, HTTP_CONNECTIONS at a time."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=HTTP_CONNECTIONS))
    cleanup.insert(0, session.close)
    sender = payloads.SignedSender(url, SECRET, session)

    async def send(body: dict[str, Any], retry: int | None) -> None:
        status, _ = await sender.event(body, retry_num=retry)
        if status != 200:
            raise RuntimeError(f"the bot answered {status}")

    return send


async def _until_ready(send: Send, warm_up: dict[str, Any], process: asyncio.subprocess.Process,
                       log_path: Path) -> None:
    """Send the clean warm-up message until it is taken: the HTTP port answers (the socket is already open)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            await send(warm_up, None)
            return
        except aiohttp.ClientConnectionError:
            if process.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot never answered on its HTTP port:\n{_log_tail(log_path)}") from None
            await asyncio.sleep(0.05)


Progress = tuple[int, int, int, int]  # incidents, of which pending delivery, ephemerals, committee alerts


async def _progress(db_path: Path, fake: FakeSlack) -> Progress:
    """What the bot has done so far, read from outside it."""

    def count() -> tuple[int, int]:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as connection:
            incidents, pending = connection.execute(
                "SELECT COUNT(*), COALESCE(SUM(delivery_status = 'pending'), 0) FROM incidents").fetchone()
        connection.close()
        return int(incidents), int(pending)

    incidents, pending = await asyncio.to_thread(count)
    return incidents, pending, len(fake.ephemerals()), len(fake.messages_in("C0ALERTS"))


def _complete(progress: Progress, expected: int, held: int = 0) -> bool:
    incidents, pending, ephemerals, _ = progress
    return incidents == expected and pending == 0 and ephemerals == expected - held


async def _settle(db_path: Path, fake: FakeSlack, progress: Progress, deadline: float) -> None:
    """Poll until nothing has changed for SETTLE_SECONDS, so a late duplicate incident or nudge is counted."""
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < SETTLE_SECONDS and time.monotonic() < deadline + SETTLE_SECONDS:
        await asyncio.sleep(0.05)
        now = await _progress(db_path, fake)
        if now != progress:
            progress, quiet_since = now, time.monotonic()


async def _stop(process: asyncio.subprocess.Process, log_path: Path) -> None:
    """SIGINT, as Ctrl+C does; the bot must close cleanly and exit 0 within STOP_SECONDS."""
    process.send_signal(signal.SIGINT)
    try:
        await asyncio.wait_for(process.wait(), STOP_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError(f"the bot did not exit within {STOP_SECONDS} s of SIGINT:\n{_log_tail(log_path)}") from None
    if process.returncode != 0:
        raise RuntimeError(f"the bot exited with {process.returncode} after SIGINT:\n{_log_tail(log_path)}")


Send = Callable[[dict[str, Any], int | None], Awaitable[None]]


async def _socket_transport(bot: SlackBot, fake: FakeSlack, cleanup: list[Any]) -> Send:
    """Events pushed down the Socket Mode websocket, as Slack does, without waiting for each ack."""
    handler = BoundedSocketModeHandler(bot.app, APP_TOKEN)
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
        held = {i for (i,) in connection.execute("SELECT id FROM incidents WHERE status = 'review'")}
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
        held=len(held), held_nudged=sorted(i for i in held if nudges[i]),
        nudges_delivered=len(delivered), ephemerals=len(fake.ephemerals()),
        alerts_posted=len(fake.messages_in("C0ALERTS")),
        rate_limited=sum(1 for call in fake.calls if call.status == 429),
        send_seconds=send_seconds, total_seconds=total_seconds,
        lost=sorted(expected - recorded), unexpected=sorted(recorded - expected),
        duplicated=sorted(m for m, n in per_message.items() if n > 1),
        nudged_twice=sorted(i for i, n in nudges.items() if n > 1),
        undelivered=sorted(i for i, _, status in rows if i not in held and (status != "delivered" or nudges[i] != 1)),
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
        *cpu_rows(report.bot_cpu_seconds, report.events + report.retries),
        *([("load average 1 / 5 / 15 min, at the start / at the end", f"{report.load_before} / {report.load_after}")]
          if report.load_before else []),
    ]


def as_json(report: LoadReport) -> str:
    """The report as one JSON line (for scripts)."""
    return json.dumps({name: value for name, value in summary(report)})
