"""Incident store speed: incidents recorded per second through Store.record_incident, and the committee's list
query latency (p50/p99) at 1,000,000 incidents, with peak memory.

    python benchmarks/bench_store.py [--incidents 1000000] [--record 5000] [--repeats 3] [--callers 50]
                                     [--queries 2000] [--db PATH | --db postgresql://USER@HOST:PORT/EMPTY_DB]

Goals (issue 3): >= 5,000 incidents/s recorded; list p99 <= 20 ms at 1,000,000 incidents. The bulk of the
million rows is seeded with executemany through a plain sqlite3 connection on the migrated file (on PostgreSQL,
with asyncpg's COPY; that is set-up, not what is measured); the record rate is measured only through the Store,
as the moderator calls it. A PostgreSQL database given with --db must be empty (it is migrated here).
The seed's rows are held in this process, so "peak RSS" is set by the seeding; "peak RSS before the seed" is the
store's own (its imports and the empty-database runs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bot.models import IncidentQuery, IncidentStatus, NewIncident, Platform, Severity
from bot.store import Store, database_target, is_postgresql, shown

COMMUNITIES = [(Platform.DISCORD, f"guild{i}") for i in range(12)] + [(Platform.SLACK, f"T{i:04d}") for i in range(8)]
# One large community holds 40% of all incidents, so its queries are the hard case the latency is measured on.
COMMUNITY_WEIGHTS = [40] + [3] * 19
CLAUSES = ["5.5.1", "5.5.2", "5.5.3", "5.6.2", "5.6.4", "5.2", "5.4", "5.6.1", "5.6.3", "5.6.5"]
CLAUSE_WEIGHTS = [30, 15, 10, 15, 5, 5, 5, 5, 5, 5]
RULES = {c: [f"rule.{c}.{k}" for k in range(6)] for c in CLAUSES}
STATUSES = ["open", "confirmed", "dismissed", "escalated", "resolved", "corrected"]
STATUS_WEIGHTS = [55, 15, 10, 3, 12, 5]
DELIVERY = ["delivered", "refused", "suppressed", "pending"]
DELIVERY_WEIGHTS = [80, 8, 11, 1]
AUTHORS_PER_COMMUNITY = 4_000
START = datetime(2025, 11, 24, tzinfo=UTC)
SPAN_SECONDS = 365 * 24 * 3600


def _percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def _rows(count: int, rng: random.Random) -> Iterator[tuple[object, ...]]:
    """Synthetic incident rows, in time order as a running bot would write them."""
    step = SPAN_SECONDS / max(1, count)
    communities = rng.choices(range(len(COMMUNITIES)), COMMUNITY_WEIGHTS, k=count)
    clauses = rng.choices(CLAUSES, CLAUSE_WEIGHTS, k=count)
    statuses = rng.choices(STATUSES, STATUS_WEIGHTS, k=count)
    deliveries = rng.choices(DELIVERY, DELIVERY_WEIGHTS, k=count)
    for n in range(count):
        platform, community_id = COMMUNITIES[communities[n]]
        clause = clauses[n]
        # Authors are Zipf-like: a few repeat offenders, a long tail of one-off posters.
        author = f"user{int(AUTHORS_PER_COMMUNITY ** rng.random()) - 1}"
        created = (START + timedelta(seconds=n * step)).isoformat(timespec="microseconds")
        target = json.dumps([f"user{rng.randrange(AUTHORS_PER_COMMUNITY)}"] if rng.random() < 0.3 else [])
        yield (platform.value, community_id, f"ch{rng.randrange(40)}", f"seed{n}", 0, "", author, author, target,
               json.dumps([clause]), clause, json.dumps([rng.choice(RULES[clause])]), "medium", "y** k**w",
               None, created, statuses[n], deliveries[n], created)


def seed(path: Path, count: int, console: Console) -> float:
    """Bulk-insert `count` incidents in one transaction; returns the seconds it took."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous = OFF")
    started = time.perf_counter()
    batch = 50_000
    rng = random.Random(7)
    rows = _rows(count, rng)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("seeding incidents", total=count)
        connection.execute("BEGIN")
        done = 0
        while done < count:
            chunk = [next(rows) for _ in range(min(batch, count - done))]
            connection.executemany(
                "INSERT INTO incidents (platform, community_id, channel_id, message_id, revision, permalink, "
                "author_id, author_name, targets, clauses, primary_clause, rules, severity, excerpt, content, "
                "created_at, status, delivery_status, recorded_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                chunk)
            done += len(chunk)
            progress.update(task, completed=done)
        connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - started


_SEED_COLUMNS = ["platform", "community_id", "channel_id", "message_id", "revision", "permalink", "author_id",
                 "author_name", "targets", "clauses", "primary_clause", "rules", "severity", "excerpt", "content",
                 "created_at", "status", "delivery_status", "recorded_at"]


async def seed_postgresql(url: str, count: int, console: Console) -> float:
    """The same rows as `seed`, through COPY on PostgreSQL; then ANALYZE, as an operator's autovacuum would."""
    import asyncpg

    connection = await asyncpg.connect(url)
    started = time.perf_counter()
    rows = _rows(count, random.Random(7))
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("seeding incidents", total=count)
            done = 0
            while done < count:
                chunk = [next(rows) for _ in range(min(50_000, count - done))]
                await connection.copy_records_to_table("incidents", records=chunk, columns=_SEED_COLUMNS)
                done += len(chunk)
                progress.update(task, completed=done)
        await connection.execute("ANALYZE incidents")
    finally:
        await connection.close()
    return time.perf_counter() - started


def _new(n: int, rng: random.Random) -> NewIncident:
    platform, community_id = COMMUNITIES[rng.choices(range(len(COMMUNITIES)), COMMUNITY_WEIGHTS)[0]]
    clause = rng.choices(CLAUSES, CLAUSE_WEIGHTS)[0]
    return NewIncident(platform=platform, community_id=community_id, channel_id=f"ch{rng.randrange(40)}",
                       message_id=f"live{n}", author_id=f"user{rng.randrange(AUTHORS_PER_COMMUNITY)}",
                       clauses=(clause,), rules=(rng.choice(RULES[clause]),), severity=Severity.MEDIUM,
                       excerpt="y** k**w", created_at=datetime.now(UTC), author_name="someone",
                       targets=(f"user{rng.randrange(AUTHORS_PER_COMMUNITY)}",))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def record_rate(store: Store, count: int, first: int, tasks: int) -> tuple[float, float]:
    """Incidents per second through Store.record_incident, from `tasks` concurrent callers, and the process's CPU
    microseconds per incident (all threads: the event loop, aiosqlite's and the checkpoints'), which a busy shared
    machine disturbs far less than the rate."""
    rng = random.Random(first)
    items = [_new(first + n, rng) for n in range(count)]
    per_task = [items[t::tasks] for t in range(tasks)]

    async def worker(mine: list[NewIncident]) -> None:
        for item in mine:
            await store.record_incident(item)

    cpu, started = _cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker(chunk) for chunk in per_task))
    return count / (time.perf_counter() - started), (_cpu_seconds() - cpu) / count * 1e6


def _queries(count: int, rng: random.Random) -> list[IncidentQuery]:
    """The committee's list, as a review screen asks for it: one community, one to three filters, 25 rows."""
    shapes = [("status",), ("clause",), ("author",), ("status", "clause"), ("status", "author"),
              ("clause", "author"), ("status", "clause", "author")]
    queries = []
    for _ in range(count):
        platform, community_id = COMMUNITIES[0] if rng.random() < 0.7 else rng.choice(COMMUNITIES)
        shape = rng.choice(shapes)
        queries.append(IncidentQuery(
            platform=platform, community_id=community_id,
            status=IncidentStatus(rng.choices(STATUSES, STATUS_WEIGHTS)[0]) if "status" in shape else None,
            clause=rng.choices(CLAUSES, CLAUSE_WEIGHTS)[0] if "clause" in shape else None,
            author_id=f"user{int(AUTHORS_PER_COMMUNITY ** rng.random()) - 1}" if "author" in shape else None,
            limit=25))
    return queries


async def list_latencies(store: Store, queries: list[IncidentQuery]) -> list[float]:
    """Milliseconds per committee list call through the Store, one at a time."""
    for query in queries[:50]:  # warm the page cache as a running bot would be
        await store.list_incidents(query)
    latencies = []
    for query in queries:
        started = time.perf_counter()
        await store.list_incidents(query)
        latencies.append((time.perf_counter() - started) * 1000)
    return sorted(latencies)


def _rates(runs: list[tuple[float, float]]) -> str:
    ordered = sorted(rate for rate, _ in runs)
    cpu = statistics.median(cpu for _, cpu in runs)
    return f"{statistics.median(ordered):,.0f}  ({ordered[0]:,.0f}-{ordered[-1]:,.0f}); CPU {cpu:,.0f} µs each"


async def _repeat(store: Store, args: argparse.Namespace, first: int, tasks: int) -> list[tuple[float, float]]:
    """`--repeats` runs of `--record` incidents each; the machine is shared, so the spread is shown too."""
    return [await record_rate(store, args.record, first + r * args.record, tasks) for r in range(args.repeats)]


async def run(args: argparse.Namespace, path: Path | str, console: Console) -> Table:
    """Measure and return the figures table."""
    table = Table("measure", f"value: median (min-max) of {args.repeats}", "goal", title=f"bench_store ({shown(path)})")
    recorded = 3 * args.repeats * args.record
    store = await Store.open(path)
    try:
        table.add_row("recorded/s, empty database, 1 caller", _rates(await _repeat(store, args, 0, 1)), ">= 5,000")
    finally:
        await store.close()
    # The seeding below holds its rows in this process and sets the overall peak; this is the store's own.
    store_peak_mb = _peak_mb()

    seeded = args.incidents - recorded
    if isinstance(path, str):
        seconds = await seed_postgresql(path, seeded, console)
        table.add_row("bulk seed (asyncpg COPY, set-up only)", f"{seeded:,} rows in {seconds:.1f} s", "")
    else:
        seconds = seed(path, seeded, console)
        table.add_row("bulk seed (sqlite3 executemany, set-up only)", f"{seeded:,} rows in {seconds:.1f} s", "")

    store = await Store.open(path)
    try:
        single = await _repeat(store, args, 10_000_000, 1)
        concurrent = await _repeat(store, args, 20_000_000, args.callers)
        total = await store.count_incidents()
        table.add_row(f"recorded/s at ~{total:,} incidents, 1 caller", _rates(single), ">= 5,000")
        table.add_row(f"recorded/s at ~{total:,} incidents, {args.callers} concurrent callers", _rates(concurrent),
                      ">= 5,000")
        latencies = await list_latencies(store, _queries(args.queries, random.Random(11)))
        table.add_row(f"list p50 ({args.queries:,} queries, limit 25)", f"{_percentile(latencies, 0.50):.2f} ms", "")
        table.add_row("list p99", f"{_percentile(latencies, 0.99):.2f} ms", "<= 20 ms")
        table.add_row("list max", f"{latencies[-1]:.2f} ms", "")
    finally:
        await store.close()
    table.add_row("incidents in the database", f"{total:,}", ">= 1,000,000")
    table.add_row("peak RSS", f"{_peak_mb():,.0f} MB", "")
    table.add_row("peak RSS before the seed (the store alone)", f"{store_peak_mb:,.0f} MB", "")
    table.add_row("load average (1 min) at the end", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", "")
    return table


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1_000_000, help="incidents in the database at the end")
    parser.add_argument("--record", type=int, default=5_000, help="incidents recorded through the Store per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each recording measure")
    parser.add_argument("--callers", type=int, default=50, help="concurrent callers in the concurrent measure")
    parser.add_argument("--queries", type=int, default=2_000, help="committee list queries timed")
    parser.add_argument("--db", type=database_target, default=None,
                        help="a new database file, or an empty PostgreSQL database's URL (default: a temporary file)")
    args = parser.parse_args()
    console = Console(width=None if sys.stdout.isatty() else 120)
    if args.db is not None and is_postgresql(args.db):
        console.print(asyncio.run(run(args, args.db, console)))
        return
    if args.db is not None:
        if args.db.exists():
            parser.error(f"{args.db} exists: the benchmark needs a new file")
        console.print(asyncio.run(run(args, args.db, console)))
        return
    with tempfile.TemporaryDirectory(prefix="bench_store-") as folder:
        console.print(asyncio.run(run(args, Path(folder) / "bench.db", console)))


if __name__ == "__main__":
    main()
