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
    .venv/bin/python benchmarks/bench_discord.py --bot-process --rss-steps 10000,25000,50000  # the bot's own

Every run prints the process's peak RSS (`ru_maxrss`) and exits 1 when an incident was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_report import figures_json, print_report, rss_steps
from rich.console import Console

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
    parser.add_argument("--bot-process", action="store_true",
                        help="run the bot as the real `nudgebot discord` command in its own process and report its "
                             "own peak RSS (default: bot, fake and harness share one process)")
    parser.add_argument("--figures-json", action="store_true", help="print only a JSON line of the key figures")
    args = parser.parse_args()
    if args.rss_steps:
        return rss_steps(__file__, args.rss_steps, "messages", "nudgebot on Discord: peak memory by run size",
                         ["--bot-process"] if args.bot_process else [])
    logging.basicConfig(level=logging.ERROR)
    console = Console()
    status = console.status(f"sending {args.messages:,} messages through the fake Discord gateway...")
    with tempfile.TemporaryDirectory() as folder, status:
        report = asyncio.run(run_load(Path(folder) / "bench.db", messages=args.messages,
                                      breach_rate=args.breach_rate, authors=args.authors,
                                      replay_rate=args.replay_rate, seed=args.seed,
                                      nudge_window_hours=args.nudge_window_hours,
                                      inject_429_every=args.inject_429_every, rate=args.rate,
                                      discord_limits=args.discord_limits, bot_process=args.bot_process))
    if args.figures_json:
        return figures_json(report.messages, report.messages_per_second, report.ok, report.bot_rss_mb)
    return print_report(console, "nudgebot on Discord, end to end (fake gateway + REST on 127.0.0.1)",
                        summary(report), report.ok, report.bot_rss_mb)


if __name__ == "__main__":
    sys.exit(main())
