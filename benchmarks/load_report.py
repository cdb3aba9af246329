"""What the end-to-end load benchmarks (bench_discord, bench_slack) print: the result table, peak RSS, RSS steps."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def figures_json(messages: int, per_second: float, ok: bool) -> int:
    """Print one run's figures as a JSON line (read back by `rss_steps`); the exit code says whether it held."""
    print(json.dumps({"messages": messages, "messages_per_second": round(per_second),
                      "peak_rss_mb": round(peak_rss_mb()), "ok": ok}))
    return 0 if ok else 1


def print_report(console: Console, title: str, rows: Iterable[tuple[str, str]], ok: bool) -> int:
    """The result table with peak RSS and the verdict; returns the exit code."""
    table = Table("measure", "value", title=title)
    for name, value in rows:
        table.add_row(name, value)
    table.add_row("peak RSS (ru_maxrss)", f"{peak_rss_mb():,.0f} MB")
    console.print(table)
    console.print("[green]OK: nothing lost or duplicated, every nudge delivered once[/]" if ok else
                  "[red]FAILED: see the lost / duplicated / undelivered counts above[/]")
    return 0 if ok else 1


def rss_steps(script: str, steps: str, unit: str, title: str, extra_args: Iterable[str] = ()) -> int:
    """Run `script` at each size in a fresh process (so peaks do not carry over) and tabulate the peaks."""
    table = Table(unit, f"{unit}/s", "peak RSS", "nothing lost or doubled", title=title)
    failed = False
    for count in (int(step) for step in steps.split(",")):
        done = subprocess.run([sys.executable, script, "--messages", str(count), *extra_args, "--figures-json"],
                              capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        figures = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        failed |= done.returncode != 0
        table.add_row(f"{count:,}", str(figures.get("messages_per_second", "?")),
                      f"{figures.get('peak_rss_mb', '?')} MB", "yes" if done.returncode == 0 else "NO")
    Console().print(table)
    return 1 if failed else 0
