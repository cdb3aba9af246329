"""The live moderation path: `Moderator.handle` with delivery reports, on a fresh SQLite file.

    python benchmarks/bench_moderation.py [--messages 20000] [--breach-rate 0.05] [--concurrency 16]

Seeded society chat from chat_corpus.py, posted by 40 members with a mention in a third of the messages, is fed
to the real core (open_core: store, scanner, escalation) as a live adapter would: `handle(event)`, then
`report_delivery(DELIVERED)` for every nudge. Prints messages/s, per-message latency (p50, p99, max), and how
the messages were decided. Nothing is asserted: the figures are for the README.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat_corpus import generate
from rich.console import Console
from rich.table import Table

from bot.core import open_core
from bot.models import DeliveryResult, DeliveryStatus, MessageEvent, Platform
from bot.settings import Settings

START = datetime(2026, 1, 12, 8, tzinfo=UTC)
MEMBERS = [f"U{index:04d}" for index in range(40)]


def events(count: int, breach_rate: float) -> list[MessageEvent]:
    """The generated chat as MessageEvents, one every 20 seconds."""
    out = []
    for n, chat in enumerate(generate(count, breach_rate=breach_rate)):
        author = MEMBERS[n % len(MEMBERS)]
        target = MEMBERS[(n * 7 + 3) % len(MEMBERS)]
        out.append(MessageEvent(platform=Platform.DISCORD, community_id="G1", channel_id=f"C{n % 6}",
                                message_id=str(100_000 + chat.id), author_id=author, author_name=author,
                                text=chat.text, created_at=START + timedelta(seconds=20 * n),
                                targets=(target,) if n % 3 == 0 and target != author else ()))
    return out


async def run(count: int, breach_rate: float, concurrency: int) -> None:
    """Feed the messages through the core and print the figures."""
    console = Console()
    batch = events(count, breach_rate)
    with tempfile.TemporaryDirectory() as folder:
        core = await open_core(Settings(db_path=Path(folder) / "bench.db"))
        latencies: list[float] = []
        decisions: Counter[str] = Counter()
        queue: asyncio.Queue[MessageEvent] = asyncio.Queue()
        for event in batch:
            queue.put_nowait(event)

        async def worker() -> None:
            while not queue.empty():
                event = queue.get_nowait()
                began = time.perf_counter()
                outcome = await core.moderator.handle(event)
                if outcome.nudge is not None:
                    await core.moderator.report_delivery(outcome.nudge.incident_id,
                                                         DeliveryResult(DeliveryStatus.DELIVERED))
                latencies.append(time.perf_counter() - began)
                decisions[outcome.decision.value] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        await core.close()

    latencies.sort()
    table = Table(title=f"Moderator.handle + report_delivery: {count:,} messages, {concurrency} concurrent")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("messages/s", f"{count / elapsed:,.0f}")
    table.add_row("latency p50", f"{statistics.median(latencies) * 1000:.2f} ms")
    table.add_row("latency p99", f"{latencies[int(len(latencies) * 0.99) - 1] * 1000:.2f} ms")
    table.add_row("latency max", f"{latencies[-1] * 1000:.2f} ms")
    for decision, n in sorted(decisions.items()):
        table.add_row(f"decision {decision}", f"{n:,}")
    console.print(table)


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--breach-rate", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.breach_rate, args.concurrency))


if __name__ == "__main__":
    main()
