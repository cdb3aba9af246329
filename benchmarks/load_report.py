"""What the end-to-end load benchmarks (bench_discord, bench_slack) print: the result table, peak RSS, RSS steps."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from rich.console import Console
from rich.table import Table


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_rss_mb(pid: int) -> float | None:
    """Another running process's peak resident set size so far in MB (`VmHWM`), None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def process_cpu_seconds(pid: int) -> float | None:
    """Another running process's user + system CPU time so far (/proc/PID/stat), None once it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for printing beside a figure (a shared machine's noise)."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def cpu_rows(cpu_seconds: float | None, messages: int) -> list[tuple[str, str]]:
    """The bot process's CPU time over the run (start of sending to done), in all and per message."""
    if cpu_seconds is None:
        return []
    return [("bot process CPU during the run (user + system)",
             f"{cpu_seconds:.2f} s ({cpu_seconds / messages * 1e6:,.0f} \u00b5s per message)")]


def figures_json(messages: int, per_second: float, ok: bool, bot_rss_mb: float | None = None) -> int:
    """Print one run's figures as a JSON line (read back by `rss_steps`); the exit code says whether it held.

    `bot_rss_mb` is the bot process's own peak when the bot ran as a separate process (`--bot-process`).
    """
    figures = {"messages": messages, "messages_per_second": round(per_second), "peak_rss_mb": round(peak_rss_mb()),
               "ok": ok}
    if bot_rss_mb is not None:
        figures["bot_peak_rss_mb"] = round(bot_rss_mb)
    print(json.dumps(figures))
    return 0 if ok else 1


def print_report(console: Console, title: str, rows: Iterable[tuple[str, str]], ok: bool,
                 bot_rss_mb: float | None = None) -> int:
    """The result table with peak RSS and the verdict; returns the exit code."""
    table = Table("measure", "value", title=title)
    for name, value in rows:
        table.add_row(name, value)
    if bot_rss_mb is not None:
        table.add_row("bot process peak RSS (VmHWM)", f"{bot_rss_mb:,.0f} MB")
        table.add_row("harness + fake process peak RSS", f"{peak_rss_mb():,.0f} MB")
    else:
        table.add_row("peak RSS (ru_maxrss, bot + fake + harness)", f"{peak_rss_mb():,.0f} MB")
    console.print(table)
    console.print("[green]OK: nothing lost or duplicated, every nudge delivered once[/]" if ok else
                  "[red]FAILED: see the lost / duplicated / undelivered counts above[/]")
    return 0 if ok else 1


def rss_steps(script: str, steps: str, unit: str, title: str, extra_args: Iterable[str] = ()) -> int:
    """Run `script` at each size in a fresh process (so peaks do not carry over) and tabulate the peaks."""
    extra = list(extra_args)
    rows = []
    failed = False
    for count in (int(step) for step in steps.split(",")):
        done = subprocess.run([sys.executable, script, "--messages", str(count), *extra, "--figures-json"],
                              capture_output=True, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        figures = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
        failed |= done.returncode != 0
        rows.append((count, figures, done.returncode == 0))
    with_bot = any("bot_peak_rss_mb" in figures for _, figures, _ in rows)
    columns = [unit, f"{unit}/s"] + (["bot peak RSS", "harness + fake peak RSS"] if with_bot else ["peak RSS"])
    table = Table(*columns, "nothing lost or doubled", title=title)
    for count, figures, held in rows:
        memory = [f"{figures.get('bot_peak_rss_mb', '?')} MB"] if with_bot else []
        table.add_row(f"{count:,}", str(figures.get("messages_per_second", "?")), *memory,
                      f"{figures.get('peak_rss_mb', '?')} MB", "yes" if held else "NO")
    Console().print(table)
    return 1 if failed else 0
