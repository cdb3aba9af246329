"""Several `nudgebot discord` processes on one PostgreSQL, each with part of a sharded fake Discord's shards.

The fake Discord (one process, this one) runs 4 shards with guilds spread over them; two real `nudgebot discord
--shards A-B --shard-count 4` processes share one PostgreSQL database. Seeded society chat goes out on the
gateway, each guild's events only to the process holding its shard (and 1% of events twice, as after a resume).
Afterwards the incidents table and the DMs the fake received are checked against the scanner's own verdicts on
the same texts: nothing lost, nothing recorded twice, no nudge sent twice. The same run with one process holding
all 4 shards on SQLite (the quick start) is printed beside it.

    .venv/bin/python benchmarks/bench_cluster.py                     # 50,000 messages, both set-ups
    .venv/bin/python benchmarks/bench_cluster.py --messages 2000     # a quick check
    .venv/bin/python benchmarks/bench_cluster.py --only cluster      # just the PostgreSQL cluster

PostgreSQL: --pg-url (or NUDGEBOT_TEST_PG) names a server; without one a throwaway cluster is started with
.ci/postgres.sh (fsync on, as for any benchmark) and removed afterwards. Exits 1 when anything was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_report import process_cpu_seconds, process_peak_rss_mb
from rich.console import Console
from rich.table import Table

from benchmarks.chat_corpus import generate
from bot.core import build_scanner, open_core
from bot.models import Community, Platform
from bot.settings import load_settings
from tests.discord.load import BotProcess, LoadReport, read_incidents, tally
from tests.fakes.discord_server import GUILD_MESSAGES_INTENT, FakeDiscord, FakeGuild

ROOT = Path(__file__).resolve().parent.parent
PG_VARIABLE = "NUDGEBOT_TEST_PG"


@dataclass
class Setup:
    """One way of running the bot: how many processes, which database."""

    name: str
    processes: int
    postgresql: bool


@dataclass
class ClusterRun:
    """What one set-up measured."""

    setup: Setup
    report: LoadReport
    handled: list[int] = field(default_factory=list)  # messages and edits each process moderated
    rss_mb: list[float | None] = field(default_factory=list)  # each process's peak RSS
    cpu_seconds: list[float | None] = field(default_factory=list)  # each process's user + system CPU
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


def shard_ranges(processes: int, shard_count: int) -> list[list[int]]:
    """The shards split into `processes` contiguous ranges (4 over 2: [0, 1], [2, 3])."""
    per, extra = divmod(shard_count, processes)
    ranges, first = [], 0
    for n in range(processes):
        size = per + (1 if n < extra else 0)
        ranges.append(list(range(first, first + size)))
        first += size
    return ranges


async def run_setup(setup: Setup, folder: Path, database: str, args: argparse.Namespace) -> ClusterRun:
    """Start the fake and the processes, send the chat, wait until everything is moderated and nudged, check."""
    fake = FakeDiscord(shards=args.shard_count)
    await fake.start()
    bots: list[BotProcess] = []
    try:
        guilds: list[FakeGuild] = [fake.add_guild(f"Society {n}", shard=(n % args.shard_count, args.shard_count))
                                   for n in range(args.guilds)]
        rooms = {g.id: [fake.channel(g, "general"), fake.add_text_channel(g, "social")] for g in guilds}
        alerts = {g.id: fake.add_text_channel(g, "committee-alerts") for g in guilds}
        members = {g.id: [fake.add_member(g, f"member{i}") for i in range(args.authors // args.guilds + 1)]
                   for g in guilds}
        db_path = folder / "nudgebot.db"
        settings = load_settings(env_file=None, environ={"NUDGEBOT_DB": database, "DISCORD_TOKEN": fake.token,
                                                         "NUDGEBOT_NUDGE_WINDOW_HOURS": "0"})
        scanner = build_scanner(settings)
        corpus = list(generate(args.messages, seed=args.seed, breach_rate=args.breach_rate))
        verdicts = [scanner.scan(item.text) for item in corpus]
        core = await open_core(settings, scanner=scanner)  # creates the schema once, before any process starts
        try:
            for guild in guilds:
                await core.store.save_community(Community(platform=Platform.DISCORD, community_id=str(guild.id),
                                                          alert_channel=str(alerts[guild.id])), datetime.now(UTC))
        finally:
            await core.close()

        ranges = shard_ranges(setup.processes, args.shard_count)
        bots = [await BotProcess.launch(fake, db_path, 0, shards=(ids, args.shard_count), database=database,
                                        name=f"{setup.name}-{n}") for n, ids in enumerate(ranges)]
        for bot in bots:
            await bot.wait_ready(fake, args.shard_count, args.ready_timeout)
        load_before = os.getloadavg()
        rng = random.Random(args.seed)
        posted: list[tuple[str, float]] = []
        replays = 0
        started = time.monotonic()
        for index, item in enumerate(corpus):
            guild = guilds[index % len(guilds)]
            data = await fake.post_message(rooms[guild.id][index // len(guilds) % 2],
                                           rng.choice(members[guild.id]), item.text)
            posted.append((data["id"], time.monotonic()))
            if rng.random() < args.replay_rate:  # Discord may deliver an event twice (after a resume, say)
                await fake.dispatch("MESSAGE_CREATE", data, guild.id, GUILD_MESSAGES_INTENT)
                replays += 1
        sent = time.monotonic()
        expected = {m for (m, _), v in zip(posted, verdicts, strict=True) if v.matches and not v.welfare}
        held = {m for (m, _), v in zip(posted, verdicts, strict=True) if v.held_for_review and not v.welfare}

        async def read_rows() -> list[dict[str, Any]]:
            return await read_incidents(database)

        await bots[0].wait_until_settled(fake, db_path, len(expected), args.timeout,
                                         dms_expected=len(expected - held), read_rows=read_rows)
        moderated = time.monotonic()
        rss = [process_peak_rss_mb(b.pid) for b in bots]
        cpu = [process_cpu_seconds(b.pid) for b in bots]
        load_after = os.getloadavg()
        handled = [await b.stop() for b in bots]
        if sum(handled) != args.messages + replays:
            raise AssertionError(f"the processes handled {handled}, not {args.messages + replays} in all")
        report = tally(fake, await read_rows(), posted, expected, held, messages=args.messages, replays=replays,
                       alerts_channels=list(alerts.values()), send_seconds=sent - started,
                       moderated_seconds=moderated - started, total_seconds=moderated - started)
        return ClusterRun(setup, report, handled, rss, cpu, load_before, load_after)
    finally:
        for bot in bots:
            await bot.kill()  # only when the run failed: a finished run has stopped them already
        await fake.stop()


async def run_all(args: argparse.Namespace) -> list[ClusterRun]:
    """Each set-up asked for, one after the other, each on a fresh database."""
    setups = [Setup("cluster", args.processes, True), Setup("single", 1, False)]
    runs = []
    for setup in setups:
        if args.only and setup.name != args.only:
            continue
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            if setup.postgresql:
                from tests.postgres import fresh_database

                async with fresh_database() as url:
                    runs.append(await run_setup(setup, folder, url, args))
            else:
                runs.append(await run_setup(setup, folder, str(folder / "nudgebot.db"), args))
    return runs


def _mb(values: list[float | None]) -> str:
    return " / ".join(f"{v:.0f} MB" if v is not None else "?" for v in values)


def _seconds(values: list[float | None]) -> str:
    return " / ".join(f"{v:.1f} s" if v is not None else "?" for v in values)


def print_runs(console: Console, runs: list[ClusterRun], shard_count: int) -> None:
    """One column per set-up."""
    table = Table(title=f"nudgebot on Discord: processes sharing {shard_count} shards (fake gateway on 127.0.0.1)")
    table.add_column("")
    for run in runs:
        table.add_column(f"{run.setup.processes} process{'es' if run.setup.processes > 1 else ''} on "
                         f"{'PostgreSQL' if run.setup.postgresql else 'SQLite'}", justify="right")
    rows: list[tuple[str, list[str]]] = [
        ("messages (+ replayed events)", [f"{r.report.messages:,} (+{r.report.replays})" for r in runs]),
        ("breaching (scanner ground truth)", [f"{r.report.breaching_expected:,}" for r in runs]),
        ("incidents recorded", [f"{r.report.incidents:,}" for r in runs]),
        ("nudges delivered / DMs sent", [f"{r.report.nudges_delivered:,} / {r.report.dms_sent:,}" for r in runs]),
        ("lost / duplicated / unexpected", [f"{len(r.report.lost)} / {len(r.report.duplicated)} / "
                                            f"{len(r.report.unexpected)}" for r in runs]),
        ("nudged twice / undelivered", [f"{len(r.report.nudged_twice)} / {len(r.report.undelivered)}"
                                        for r in runs]),
        ("handled per process", [" / ".join(f"{h:,}" for h in r.handled) for r in runs]),
        ("end-to-end throughput", [f"{r.report.messages_per_second:,.0f} messages/s" for r in runs]),
        ("time to send / until all nudged", [f"{r.report.send_seconds:.1f} s / {r.report.moderated_seconds:.1f} s"
                                             for r in runs]),
        ("peak RSS per process", [_mb(r.rss_mb) for r in runs]),
        ("CPU per process (user + system)", [_seconds(r.cpu_seconds) for r in runs]),
        ("load average before / after (1 min)", [f"{r.load_before[0]:.1f} / {r.load_after[0]:.1f}" for r in runs]),
    ]
    for name, values in rows:
        table.add_row(name, *values)
    console.print(table)
    for run in runs:
        verdict = "OK" if run.report.ok else "FAILED"
        console.print(f"{run.setup.name}: {verdict}")


def with_throwaway_postgresql() -> int:
    """Run this benchmark again inside a shell that started a throwaway PostgreSQL (.ci/postgres.sh); the
    cluster is stopped and removed when that shell exits."""
    script = ROOT / ".ci" / "postgres.sh"
    command = f'source {shlex.quote(str(script))} >&2 && "$@"'
    env = {**os.environ, "NUDGEBOT_PG_FSYNC": os.environ.get("NUDGEBOT_PG_FSYNC", "on")}
    return subprocess.call(["bash", "-c", command, "bench", sys.executable, __file__, *sys.argv[1:]], env=env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--processes", type=int, default=2, help="processes sharing the shards on PostgreSQL")
    parser.add_argument("--shard-count", type=int, default=4)
    parser.add_argument("--guilds", type=int, default=8, help="guilds, spread evenly over the shards")
    parser.add_argument("--authors", type=int, default=400)
    parser.add_argument("--breach-rate", type=float, default=0.06)
    parser.add_argument("--replay-rate", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--only", choices=("cluster", "single"), help="run one set-up only")
    parser.add_argument("--pg-url", help=f"a PostgreSQL server (default: {PG_VARIABLE}, else a throwaway one)")
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="seconds for the processes to connect")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds for everything to be moderated")
    args = parser.parse_args()
    if args.pg_url:
        os.environ[PG_VARIABLE] = args.pg_url
    if args.only != "single" and not os.environ.get(PG_VARIABLE):
        return with_throwaway_postgresql()
    logging.basicConfig(level=logging.ERROR)
    console = Console()
    with console.status(f"{args.messages:,} messages through {args.shard_count} fake Discord shards..."):
        runs = asyncio.run(run_all(args))
    print_runs(console, runs, args.shard_count)
    return 0 if all(r.report.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
