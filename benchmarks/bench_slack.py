"""End-to-end Slack load: seeded society chat through the fake Slack into the real Bolt app, then checked.

Every message goes in as an Events API envelope (over the Socket Mode websocket, or as a signed HTTP request
with --mode http) through slack-bolt, the moderation core, the scanner and the SQLite store; every nudge goes out
as chat.postEphemeral to the fake, some of them answered 429 first. A share of events is delivered twice with the
same event id, as Slack retries. Afterwards the incidents table and the ephemerals the fake received are compared
with the scanner's own verdicts on the same texts: nothing lost, nothing doubled, every nudge delivered once.
The fake shares the process and event loop with the app, so the figures are a lower bound for the app alone.

    .venv/bin/python benchmarks/bench_slack.py                 # 10,000 events over Socket Mode
    .venv/bin/python benchmarks/bench_slack.py --mode http     # signed HTTP requests instead
    .venv/bin/python benchmarks/bench_slack.py --messages 50000        # the hardening load test
    .venv/bin/python benchmarks/bench_slack.py --rss-steps 10000,25000,50000  # peak RSS per size

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
    parser.add_argument("--figures-json", action="store_true", help="print only a JSON line of the key figures")
    args = parser.parse_args()
    if args.rss_steps:
        return rss_steps(args.rss_steps, args.mode)
    logging.basicConfig(level=logging.ERROR)
    console = Console()
    status = console.status(f"sending {args.events:,} events through the fake Slack ({args.mode})...")
    with tempfile.TemporaryDirectory() as folder, status:
        report = asyncio.run(run_load(Path(folder) / "bench.db", events=args.events, breach_rate=args.breach_rate,
                                      retry_rate=args.retry_rate, authors=args.authors,
                                      rate_limited=args.rate_limited, mode=args.mode, seed=args.seed))
    if args.figures_json:
        print(json.dumps({"messages": args.events, "messages_per_second": round(report.events_per_second),
                          "peak_rss_mb": round(peak_rss_mb()), "ok": report.ok}))
        return 0 if report.ok else 1
    table = Table("measure", "value", title="nudgebot on Slack, end to end (fake Slack on 127.0.0.1)")
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


def rss_steps(steps: str, mode: str) -> int:
    """Run the benchmark at each size in a fresh process (so peaks do not carry over) and tabulate them."""
    table = Table("events", "events/s", "peak RSS", "nothing lost or doubled",
                  title=f"nudgebot on Slack ({mode}): peak memory by run size")
    failed = False
    for count in (int(step) for step in steps.split(",")):
        done = subprocess.run([sys.executable, __file__, "--events", str(count), "--mode", mode, "--figures-json"],
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
