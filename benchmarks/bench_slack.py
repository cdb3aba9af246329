"""End-to-end Slack load: seeded society chat through the fake Slack into the real Bolt app, then checked.

Every message goes in as an Events API envelope (over the Socket Mode websocket, or as a signed HTTP request
with --mode http) through slack-bolt, the moderation core, the scanner and the SQLite store; every nudge goes out
as chat.postEphemeral to the fake, some of them answered 429 first. A share of events is delivered twice with the
same event id, as Slack retries. Afterwards the incidents table and the ephemerals the fake received are compared
with the scanner's own verdicts on the same texts: nothing lost, nothing doubled, every nudge delivered once.
By default the fake shares the process and event loop with the app, so the figures are a lower bound for the app
alone; with --bot-process the bot is the real `nudgebot slack` command in its own process, and its own peak RSS
(VmHWM) is printed apart from the harness's.

    .venv/bin/python benchmarks/bench_slack.py                 # 10,000 events over Socket Mode
    .venv/bin/python benchmarks/bench_slack.py --mode http     # signed HTTP requests instead
    .venv/bin/python benchmarks/bench_slack.py --messages 50000        # the hardening load test
    .venv/bin/python benchmarks/bench_slack.py --messages 50000 --bot-process  # the bot in its own process
    .venv/bin/python benchmarks/bench_slack.py --rss-steps 10000,25000,50000  # peak RSS per size
    .venv/bin/python benchmarks/bench_slack.py --rss-steps 10000,25000,50000 --bot-process  # the bot's own

Every run prints peak RSS (`ru_maxrss`; with --bot-process also the bot's VmHWM) and exits 1 when an incident
was lost or doubled.
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

from tests.slack.load import run_load, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", "--messages", dest="events", type=int, default=10_000,
                        help="message events to send (each one a member's message)")
    parser.add_argument("--mode", choices=("socket", "http"), default="socket")
    parser.add_argument("--breach-rate", type=float, default=0.08, help="share of messages built to breach")
    parser.add_argument("--retry-rate", type=float, default=0.02, help="share of events Slack delivers twice")
    parser.add_argument("--authors", type=int, default=300)
    parser.add_argument("--rate-limited", type=int, default=10, help="chat.postEphemeral calls answered 429 first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rss-steps", default="",
                        help="comma-separated event counts: run each in a fresh process and compare peak RSS")
    parser.add_argument("--bot-process", action="store_true",
                        help="run the bot as the real `nudgebot slack` command in its own process and report its "
                             "own peak RSS")
    parser.add_argument("--figures-json", action="store_true", help="print only a JSON line of the key figures")
    args = parser.parse_args()
    if args.rss_steps:
        title = f"nudgebot on Slack ({args.mode}): peak memory by run size"
        extra = ("--mode", args.mode, *(("--bot-process",) if args.bot_process else ()))
        return rss_steps(__file__, args.rss_steps, "events", title, extra)
    logging.basicConfig(level=logging.ERROR)
    console = Console()
    where = "to the bot process" if args.bot_process else "through the fake Slack"
    status = console.status(f"sending {args.events:,} events {where} ({args.mode})...")
    with tempfile.TemporaryDirectory() as folder, status:
        report = asyncio.run(run_load(Path(folder) / "bench.db", events=args.events, breach_rate=args.breach_rate,
                                      retry_rate=args.retry_rate, authors=args.authors,
                                      rate_limited=args.rate_limited, mode=args.mode, seed=args.seed,
                                      bot_process=args.bot_process))
    if args.figures_json:
        return figures_json(args.events, report.events_per_second, report.ok, report.bot_rss_mb)
    title = "nudgebot on Slack, end to end (fake Slack on 127.0.0.1" + (", bot in its own process)"
                                                                      if args.bot_process else ")")
    return print_report(console, title, summary(report), report.ok, report.bot_rss_mb)


if __name__ == "__main__":
    sys.exit(main())
