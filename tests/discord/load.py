"""A load run through the fake Discord gateway: seeded society chat in, incidents and DMs checked out.

Used by `benchmarks/bench_discord.py` (10,000 messages, figures printed) and by a smaller test. The expected
incidents come from running the scanner over the same texts beforehand, independently of the bot; the check
then reads the SQLite file and the DMs the fake received.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.chat_corpus import generate
from benchmarks.load_report import cpu_rows, load_average, process_cpu_seconds, process_peak_rss_mb
from bot.core import build_scanner, open_core
from bot.detection.scanner import Scanner
from bot.models import Community, Platform
from bot.settings import load_settings
from tests.discord.support import READY_TIMEOUT, close_core, custom_ids, incident_rows, start_bot
from tests.fakes.discord_server import DISCORD_LIKE_LIMITS, GUILD_MESSAGES_INTENT, FakeDiscord

NOT_DELIVERED = ("pending", "failed", "refused")  # a nudge that was due and did not reach the member
REPO = Path(__file__).resolve().parents[2]


@dataclass
class LoadReport:
    """What a load run measured and what it found wrong (every list empty means nothing lost or doubled)."""

    messages: int
    replays: int
    breaching_expected: int
    incidents: int
    nudges_delivered: int
    dms_sent: int
    alerts_posted: int
    alert_messages: int  # alerts that queue up behind the channel's rate limit share a message
    rate_limited: int
    send_seconds: float
    moderated_seconds: float  # until every message was moderated and every nudge delivered
    total_seconds: float  # ... and every committee alert posted
    latencies: list[float] = field(default_factory=list)
    bot_rss_mb: float | None = None  # the bot process's own peak RSS, when it ran as its own process
    bot_cpu_seconds: float | None = None  # ... and its CPU time from the first message sent until done
    load_before: str = ""  # the machine's load averages when sending started and when done (a shared machine)
    load_after: str = ""
    lost: list[str] = field(default_factory=list)  # message ids expected to give an incident that did not
    unexpected: list[str] = field(default_factory=list)  # incidents for messages the scanner does not flag
    duplicated: list[str] = field(default_factory=list)  # message ids with two incidents
    nudged_twice: list[int] = field(default_factory=list)  # incident ids with two DMs
    undelivered: list[int] = field(default_factory=list)  # incidents still pending, or delivered without a DM
    held: int = 0  # incidents held for the committee's review (the review tier): no DM is due
    held_expected: int = 0  # messages the scanner holds for review
    held_nudged: list[int] = field(default_factory=list)  # held incidents that were nudged all the same

    @property
    def messages_per_second(self) -> float:
        """End to end: every message sent, moderated, recorded and its nudge delivered."""
        return self.messages / self.moderated_seconds if self.moderated_seconds else 0.0

    @property
    def ok(self) -> bool:
        """Nothing lost, nothing doubled, every nudge delivered once."""
        return not (self.lost or self.unexpected or self.duplicated or self.nudged_twice or self.undelivered
                    or self.held_nudged or self.held != self.held_expected)

    def latency(self, quantile: float) -> float:
        """Message posted to its nudge's DM request, in seconds, at this quantile."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


async def run_load(db_path: Path, *, messages: int = 10_000, breach_rate: float = 0.06, authors: int = 300,
                   channels: int = 6, replay_rate: float = 0.01, seed: int = 2026, nudge_window_hours: int = 0,
                   inject_429_every: int = 1_000, rate: float = 0.0, discord_limits: bool = False,
                   scanner: Scanner | None = None, bot_process: bool = False,
                   timeout: float = 600.0) -> LoadReport:
    """Post `messages` through the fake gateway to the real bot and check every incident and nudge.

    Every `inject_429_every` messages the fake answers the next message POST with a 429 (retry_after 0.2 s),
    so rate limits are met under load too. `rate` paces the messages (per second); 0 sends them as one burst.
    `discord_limits` gives the fake Discord's own per-channel message limit (5 per 5 s) instead of a generous one.
    `bot_process` runs the bot as the real `nudgebot discord` command in its own process (so its own peak RSS can
    be read); otherwise it shares this process and event loop with the fake.
    """
    fake = FakeDiscord(route_limits=DISCORD_LIKE_LIMITS if discord_limits else None)
    await fake.start()
    restore = fake.redirect()
    bot: BotProcess | None = None
    try:
        guild = fake.add_guild("Leicester Load Testing Society")
        rooms = [fake.channel(guild, "general")] + [fake.add_text_channel(guild, f"room-{i}")
                                                     for i in range(channels - 1)]
        alerts = fake.add_text_channel(guild, "committee-alerts")
        members = [fake.add_member(guild, f"member{i}") for i in range(authors)]
        settings = load_settings(env_file=None, environ={
            "NUDGEBOT_DB": str(db_path), "DISCORD_TOKEN": fake.token,
            "NUDGEBOT_NUDGE_WINDOW_HOURS": str(nudge_window_hours)})
        scanner = scanner or build_scanner(settings)
        corpus = list(generate(messages, seed=seed, breach_rate=breach_rate))
        flagged, held_flags = [], []
        for item in corpus:
            verdict = scanner.scan(item.text)
            flagged.append(bool(verdict.matches) and not verdict.welfare)
            held_flags.append(verdict.held_for_review and not verdict.welfare)

        core = await open_core(settings, scanner=scanner)
        await core.store.save_community(Community(platform=Platform.DISCORD, community_id=str(guild.id),
                                                  alert_channel=str(alerts)), datetime.now(UTC))
        if bot_process:
            await close_core(core)
            bot = await BotProcess.start(fake, db_path, nudge_window_hours)
        else:
            running = await start_bot(fake, core, settings)
        rng = random.Random(seed)
        posted: list[tuple[str, float]] = []
        replays = 0
        load_before = load_average()
        cpu_before = process_cpu_seconds(bot.pid) if bot is not None else None
        started = time.monotonic()
        for index, item in enumerate(corpus):
            if inject_429_every and index % inject_429_every == inject_429_every // 2:
                fake.rate_limit("POST /channels/{channel_id}/messages", times=1, retry_after=0.2)
            if rate and (ahead := started + index / rate - time.monotonic()) > 0:
                await asyncio.sleep(ahead)  # pacing the sender, not synchronising with the bot
            data = await fake.post_message(rooms[index % len(rooms)], members[rng.randrange(authors)], item.text)
            posted.append((data["id"], time.monotonic()))
            if rng.random() < replay_rate:  # Discord may deliver an event twice (e.g. after a resume)
                await fake.dispatch("MESSAGE_CREATE", data, guild.id, GUILD_MESSAGES_INTENT)
                replays += 1
        sent = time.monotonic()
        expected = {message_id for (message_id, _), hit in zip(posted, flagged, strict=True) if hit}
        held_expected = {message_id for (message_id, _), hit in zip(posted, held_flags, strict=True) if hit}
        bot_rss_mb = bot_cpu_seconds = None
        if bot is not None:
            moderated = finished = await bot.wait_until_settled(fake, db_path, len(expected), timeout,
                                                                dms_expected=len(expected - held_expected))
            bot_rss_mb = process_peak_rss_mb(bot.pid)
            cpu_after = process_cpu_seconds(bot.pid)
            if cpu_before is not None and cpu_after is not None:
                bot_cpu_seconds = cpu_after - cpu_before  # includes the settling second, when it idles
            await bot.stop(expected_handled=messages + replays)
        else:
            cog: Any = running.bot.get_cog("Moderation")
            await fake.wait_for(lambda: cog.received >= messages + replays and cog.backlog == 0, timeout,
                                "every message moderated and its nudge delivered")
            moderated = time.monotonic()
            await running.idle(fake, timeout, received=messages + replays)  # and the committee's alerts posted
            finished = time.monotonic()
            await running.stop()
            await close_core(core)

        report = tally(fake, incident_rows(db_path), posted, expected, held_expected, messages=messages,
                       replays=replays, alerts_channels=[alerts], send_seconds=sent - started,
                       moderated_seconds=moderated - started, total_seconds=finished - started,
                       bot_rss_mb=bot_rss_mb)
        report.bot_cpu_seconds, report.load_before, report.load_after = bot_cpu_seconds, load_before, load_average()
        return report
    finally:
        if bot is not None:
            await bot.kill()  # only when the run failed: a finished run has stopped it already
        restore()
        await fake.stop()


async def pg_incident_rows(url: str) -> list[dict[str, Any]]:
    """The incidents table read straight from PostgreSQL (not through nudgebot's store)."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        return [dict(r) for r in await connection.fetch("SELECT * FROM incidents ORDER BY id")]
    finally:
        await connection.close()


async def read_incidents(database: str) -> list[dict[str, Any]]:
    """The incidents table of NUDGEBOT_DB's value: a postgresql:// URL or an SQLite file."""
    if database.startswith("postgresql://"):
        return await pg_incident_rows(database)
    return incident_rows(Path(database)) if Path(database).exists() else []


def tally(fake: FakeDiscord, rows: list[dict[str, Any]], posted: list[tuple[str, float]], expected: set[str],
          held_expected: set[str], *, messages: int, replays: int, alerts_channels: list[int], send_seconds: float,
          moderated_seconds: float, total_seconds: float, bot_rss_mb: float | None = None) -> LoadReport:
    """Compare the incidents table (`rows`, from whichever database) and the DMs the fake received with what the
    scanner expected of the messages `posted` (id, when): what was lost, doubled or nudged twice."""
    per_message = Counter(r["message_id"] for r in rows)
    dm_channels = set(fake.dm_channels.values())
    dm_requests = [r for r in fake.calls("POST /channels/{channel_id}/messages", status=200)
                   if int(r.params["channel_id"]) in dm_channels]
    dms = [m for user in fake.dm_channels for m in fake.dms_to(user)]
    nudged = Counter(int(ids[0].rsplit(":", 1)[1]) for m in dms if (ids := custom_ids(m)))
    delivered = {r["id"] for r in rows if r["delivery_status"] == "delivered"}
    held = {r["id"] for r in rows if r["status"] == "review"}  # held for the committee: nobody nudged
    posted_at = dict(posted)
    message_of = {r["id"]: r["message_id"] for r in rows}
    latencies = []
    for request in dm_requests:
        ids = [c["custom_id"] for row in (request.body or {}).get("components", [])
               for c in row.get("components", [])]
        if ids and (incident_id := int(ids[0].rsplit(":", 1)[1])) in message_of:
            latencies.append(request.at - posted_at[message_of[incident_id]])
    alert_messages = [m for channel in alerts_channels for m in fake.bot_messages(channel)]
    return LoadReport(
        messages=messages, replays=replays, breaching_expected=len(expected), incidents=len(rows),
        held=len(held), held_expected=len(held_expected), held_nudged=sorted(held & set(nudged)),
        nudges_delivered=len(delivered), dms_sent=len(dms),
        alerts_posted=sum(len(m["embeds"]) for m in alert_messages), alert_messages=len(alert_messages),
        rate_limited=len(fake.calls(status=429)), send_seconds=send_seconds,
        moderated_seconds=moderated_seconds, total_seconds=total_seconds,
        latencies=latencies, bot_rss_mb=bot_rss_mb,
        lost=sorted(expected - set(per_message)), unexpected=sorted(set(per_message) - expected),
        duplicated=sorted(m for m, n in per_message.items() if n > 1),
        nudged_twice=sorted(i for i, n in nudged.items() if n > 1),
        undelivered=sorted({r["id"] for r in rows if r["delivery_status"] in NOT_DELIVERED}
                           | (delivered - set(nudged)) | (set(nudged) - delivered)))


class BotProcess:
    """The real `nudgebot discord` command running against the fake, watched from outside (SQLite and the fake)."""

    def __init__(self, process: asyncio.subprocess.Process, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @property
    def pid(self) -> int:
        """The bot's process id."""
        return self.process.pid

    @classmethod
    async def start(cls, fake: FakeDiscord, db_path: Path, nudge_window_hours: int, *,
                    shards: tuple[list[int], int] | None = None, database: str | None = None,
                    name: str = "", ready_timeout: float = READY_TIMEOUT * 3) -> BotProcess:
        """Start the bot (commands not published: the load is about messages) and wait for its gateway sessions.

        `shards` (ids, count): run only those shards (`--shards`, `--shard-count`), one process of several;
        `database`: NUDGEBOT_DB when it is not `db_path` (a postgresql:// URL); `name` tells processes' logs apart.
        """
        before = len(fake.sessions())
        running = await cls.launch(fake, db_path, nudge_window_hours, shards=shards, database=database, name=name)
        await running.wait_ready(fake, before + (len(shards[0]) if shards is not None else 1), ready_timeout)
        return running

    @classmethod
    async def launch(cls, fake: FakeDiscord, db_path: Path, nudge_window_hours: int, *,
                     shards: tuple[list[int], int] | None = None, database: str | None = None,
                     name: str = "") -> BotProcess:
        """Start the bot without waiting for it (several processes start at once; `wait_ready` then)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))}
        # The bot of this checkout, whichever checkout the interpreter's install points at (a before/after run
        # from another worktree with one virtualenv would otherwise measure the installed one).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
        env |= {"DISCORD_TOKEN": fake.token, "NUDGEBOT_DISCORD_API_BASE": fake.api_base,
                "NUDGEBOT_DISCORD_GATEWAY": fake.gateway_url, "NUDGEBOT_DB": database or str(db_path),
                "NUDGEBOT_NUDGE_WINDOW_HOURS": str(nudge_window_hours)}
        arguments = ["--no-sync"]
        if shards is not None:
            ids, count = shards
            arguments += ["--shards", ",".join(map(str, ids)), "--shard-count", str(count)]
        log_path = db_path.with_name(f"{db_path.stem}{'-' + name if name else ''}.log")
        with log_path.open("w") as log_file:  # the child keeps its own descriptor
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "-v", "discord", *arguments, env=env, cwd=db_path.parent,
                stdout=log_file, stderr=asyncio.subprocess.STDOUT)
        return cls(process, log_path)

    async def wait_ready(self, fake: FakeDiscord, sessions: int, timeout: float = READY_TIMEOUT * 3) -> None:
        """Until the fake holds `sessions` identified gateway sessions (this process's and any started before);
        kills the bot and fails if it exits or the time runs out first."""
        try:
            await fake.wait_for(lambda: len(fake.sessions()) >= sessions or self.process.returncode is not None,
                                timeout, "the bot's gateway sessions")
        except BaseException:
            await self.kill()
            raise
        if self.process.returncode is not None:
            raise AssertionError(f"nudgebot discord exited with {self.process.returncode}:\n"
                                 f"{self.log_path.read_text()}")

    async def wait_until_settled(self, fake: FakeDiscord, db_path: Path, expected: int, timeout: float,
                                 dms_expected: int | None = None,
                                 read_rows: Callable[[], Awaitable[list[dict[str, Any]]]] | None = None) -> float:
        """Until the database holds `expected` incidents, none awaits its nudge, and `dms_expected` DMs (default:
        one per incident; those held for review get none) are at the fake; then the same for one more second (a
        late duplicate would show). Returns when (time.monotonic()) it was first seen done, not counting that
        second; at the deadline it returns too (the time then): the checks afterwards report what is missing.
        `read_rows` reads the incidents when they are not in the SQLite file `db_path` (PostgreSQL)."""
        dms_expected = expected if dms_expected is None else dms_expected
        deadline = time.monotonic() + timeout
        settled_since: float | None = None
        while time.monotonic() < deadline and self.process.returncode is None:
            if read_rows is not None:
                rows = await read_rows()
            else:
                rows = incident_rows(db_path) if db_path.exists() else []
            dms = sum(len(fake.dms_to(user)) for user in fake.dm_channels)
            done = (len(rows) >= expected and dms >= dms_expected
                    and not any(r["delivery_status"] == "pending" for r in rows))
            if not done:
                settled_since = None
            elif settled_since is None:
                settled_since = time.monotonic()
            elif time.monotonic() - settled_since >= 1.0:
                return settled_since
            await asyncio.sleep(0.1)  # polling another process: nothing to await on
        return time.monotonic()

    async def stop(self, expected_handled: int | None = None) -> int:
        """SIGINT, as an operator would; the bot must exit 0 having handled every message it received (and, when
        given, `expected_handled` of them). Returns how many it handled."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
        try:
            code = await asyncio.wait_for(self.process.wait(), 60)
        except TimeoutError:
            await self.kill()
            raise AssertionError("nudgebot discord did not stop within 60 s of SIGINT; its log ends:\n"
                                 + self.log_path.read_text()[-4000:]) from None
        output = self.log_path.read_text()
        if code != 0:
            raise AssertionError(f"nudgebot discord exited with {code}:\n{output[-4000:]}")
        counts = re.search(r"moderation stopped: (\d+) messages and edits received, (\d+) handled", output)
        if counts is None or counts[1] != counts[2] or (
                expected_handled is not None and int(counts[2]) != expected_handled):
            raise AssertionError(f"expected {expected_handled or 'every message'} received and handled, the bot "
                                 f"said {counts[0] if counts else 'nothing'}")
        return int(counts[2])

    async def kill(self) -> None:
        """Stop it hard (after a failure)."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


def summary(report: LoadReport) -> list[tuple[str, str]]:
    """The figures as (name, value) rows for printing."""
    median = statistics.median(report.latencies) if report.latencies else 0.0
    return [
        ("messages sent through the gateway", f"{report.messages:,} (+{report.replays} replayed events)"),
        ("breaching (scanner ground truth)", f"{report.breaching_expected:,} "
                                             f"({report.breaching_expected / report.messages:.1%})"),
        ("incidents recorded", f"{report.incidents:,}"),
        ("nudges delivered / DMs sent", f"{report.nudges_delivered:,} / {report.dms_sent:,}"),
        ("committee alerts posted (in messages)", f"{report.alerts_posted:,} ({report.alert_messages:,})"),
        ("HTTP 429 answers honoured", f"{report.rate_limited:,}"),
        ("lost / unexpected / duplicated incidents",
         f"{len(report.lost)} / {len(report.unexpected)} / {len(report.duplicated)}"),
        ("nudges sent twice / undelivered", f"{len(report.nudged_twice)} / {len(report.undelivered)}"),
        ("time to send all messages", f"{report.send_seconds:.2f} s"),
        ("time until all moderated and nudges delivered", f"{report.moderated_seconds:.2f} s"),
        ("time until all committee alerts posted too", f"{report.total_seconds:.2f} s"),
        ("end-to-end throughput", f"{report.messages_per_second:,.0f} messages/s"),
        ("message -> nudge DM latency p50 / p95 / p99 / max",
         f"{median * 1000:.0f} / {report.latency(0.95) * 1000:.0f} / {report.latency(0.99) * 1000:.0f} / "
         f"{report.latency(1.0) * 1000:.0f} ms"),
        *cpu_rows(report.bot_cpu_seconds, report.messages + report.replays),
        *([("load average 1 / 5 / 15 min, at the start / at the end", f"{report.load_before} / {report.load_after}")]
          if report.load_before else []),
    ]
