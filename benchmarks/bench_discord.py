"""End-to-end Discord load: seeded society chat through the fake gateway into the real bot, then checked.

Every message goes over a websocket (zlib-stream) into discord.py, through the moderation cog's workers, the
scanner and the SQLite store; every nudge goes out as a DM over REST to the fake. Afterwards the incidents
table and the DMs the fake received are compared with the scanner's own verdicts on the same texts: nothing
lost, nothing doubled, every nudge delivered once. The fake shares the process and event loop with the bot,
so the figures are a lower bound on what the bot alone would do.

    .venv/bin/python benchmarks/bench_discord.py                # 10,000 messages
    .venv/bin/python benchmarks/bench_discord.py --rate 300           # paced: latency at a steady rate
    .venv/bin/python benchmarks/bench_discord.py --messages 50000       # the hardening load test
    .venv/bin/python benchmarks/bench_discord.py --rss-steps 10000,25000,50000  # peak RSS per size

Every run prints the process's peak RSS (`ru_maxrss`) and exits 1 when an incident was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table

from tests.discord.load import run_load, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--breach-rate", type=float, default=0.06, help="share of messages built to breach")
    parser.add_argument("--authors", type=int, default=300)
    parser.add_argument("--replay-rate", type=float, default=0.01, help="share of events Discord delivers twice")
    parser.add_argument("--nudge-window-hours", type=int, default=0,
                        help="0 (default) nudges every breach, so every incident needs a DM")
    parser.add_argument("--inject-429-every", type=int, default=1_000,
                        help="answer one message POST with HTTP 429 every N messages (0: never)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="messages per second to send (default 0: one burst, as fast as the gateway takes)")
    parser.add_argument("--discord-limits", action="store_true",
                        help="the fake applies Discord's per-channel message limit (5 per 5 s) to every channel")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rss-steps", default="",
                        help="comma-separated message counts: run each in a fresh process and compare peak RSS")
    parser.add_argument("--figures-json", action="store_true", help="print only a JSON line of the key figures")
    args = parser.parse_args()
    if args.rss_steps:
        return rss_steps(args.rss_steps)
    logging.basicConfig(level=logging.ERROR)
    console = Console()
    status = console.status(f"sending {args.messages:,} messages through the fake Discord gateway...")
    with tempfile.TemporaryDirectory() as folder, status:
        report = asyncio.run(run_load(Path(folder) / "bench.db", messages=args.messages,
                                      breach_rate=args.breach_rate, authors=args.authors,
                                      replay_rate=args.replay_rate, seed=args.seed,
                                      nudge_window_hours=args.nudge_window_hours,
                                      inject_429_every=args.inject_429_every, rate=args.rate,
                                      discord_limits=args.discord_limits))
    if args.figures_json:
        print(json.dumps({"messages": report.messages, "messages_per_second": round(report.messages_per_second),
                          "peak_rss_mb": round(peak_rss_mb()), "ok": report.ok}))
        return 0 if report.ok else 1
    table = Table("measure", "value", title="nudgebot on Discord, end to end (fake gateway + REST on 127.0.0.1)")
    for name, value in summary(report):
        table.add_row(name, value)
    table.add_row("peak RSS (ru_maxrss)", f"{peak_rss_mb():,.0f} MB")
    console.print(table)
    console.print("[green]OK: nothing lost or duplicated, every nudge delivered once[/]" if report.ok else
                  "[red]FAILED: see the lost / duplicated / undelivered counts above[/]")
    return 0 if report.ok else 1


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_steps(steps: str) -> int:
    """Run the benchmark at each size in a fresh process (so peaks do not carry over) and tabulate them."""
    table = Table("messages", "messages/s", "peak RSS", "nothing lost or doubled",
                  title="nudgebot on Discord: peak memory by run size")
    failed = False
    for count in (int(step) for step in steps.split(",")):
        done = subprocess.run([sys.executable, __file__, "--messages", str(count), "--figures-json"],
                              capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        figures = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        failed |= done.returncode != 0
        table.add_row(f"{count:,}", str(figures.get("messages_per_second", "?")),
                      f"{figures.get('peak_rss_mb', '?')} MB", "yes" if done.returncode == 0 else "NO")
    Console().print(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
