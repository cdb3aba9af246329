"""A real-time Slack outage: every nudge call fails for a full minute (by default), then Slack comes back.

Members keep posting through the outage (events still arrive over Socket Mode: only the Web API calls that deliver
nudges fail). The script prints when each nudge finally arrived, how many failed calls the outage cost, and checks
that every breach was nudged exactly once and nothing was marked refused. It runs the production retry timing
(30 s, doubling to 5 minutes) unless told otherwise, so the default run takes about 1.5 to 2 minutes.

    .venv/bin/python benchmarks/fault_slack_outage.py                        # 60 s of HTTP 500 pages
    .venv/bin/python benchmarks/fault_slack_outage.py --kind internal_error --outage 90
    .venv/bin/python benchmarks/fault_slack_outage.py --outage 10 --retry 2   # a quick look

Exits 1 when a nudge was lost, doubled or marked refused.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rich.console import Console
from rich.table import Table
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import build_scanner
from bot.runtime.outbox import RETRY_SECONDS
from bot.settings import Settings
from bot.slack.app import SlackBot
from bot.slack.runners import BoundedSocketModeHandler
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.conftest import ALICE, BOB, BREACH, CAROL, CLEAN, DAVE, GENERAL, TEAM, make_settings, open_test_core

NUDGE_CALLS = ("chat.postEphemeral", "conversations.open", "chat.postMessage")
POSTERS = (ALICE, BOB, CAROL, DAVE)


def workspace() -> FakeSlack:
    """The Slack tests' workspace: four members in #general and an alert channel."""
    slack = FakeSlack(team_id=TEAM)
    for user, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol"), (DAVE, "dave")):
        slack.add_user(user, name)
    slack.add_channel(GENERAL, "general", POSTERS)
    slack.add_channel("C0COMMITTEE", "committee", [DAVE])
    slack.add_channel("C0ALERTS", "nudgebot-alerts", [CAROL, DAVE])
    slack.add_usergroup("S0COMMITTEE", [CAROL])
    return slack


async def run(folder: Path, *, outage: float, retry: float, kind: str, messages: int) -> dict[str, object]:
    """Run the outage; return the figures."""
    fake = workspace()
    await fake.start()
    settings: Settings = make_settings(folder, "socket")
    async with AsyncExitStack() as stack:
        stack.push_async_callback(fake.close)
        core = await open_test_core(settings, await asyncio.to_thread(build_scanner, settings))
        stack.push_async_callback(core.close)
        bot = SlackBot(core, settings, AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url),
                       outbox_retry_seconds=retry)
        await bot.start()
        stack.push_async_callback(bot.close)
        handler = BoundedSocketModeHandler(bot.app, APP_TOKEN)
        await handler.connect_async()
        stack.push_async_callback(handler.close_async)
        await fake.wait_for_socket()

        fake.outage(NUDGE_CALLS, kind)
        started = time.monotonic()
        posted: Counter[str] = Counter()
        gap = outage * 0.8 / messages  # members post through most of the outage
        for i in range(messages):
            author = POSTERS[i % len(POSTERS)]
            breach = i % 3 != 2
            text = BREACH if breach else f"{CLEAN} ({i})"
            await fake.send_envelope("events_api", payloads.event_callback(TEAM, payloads.message(author, GENERAL,
                                                                                                  text)))
            posted[author] += breach
            await asyncio.sleep(gap)  # pacing the members, not synchronisation
        await asyncio.sleep(max(0.0, outage - (time.monotonic() - started)))  # the outage lasts its full length
        fake.end_outage()
        back = time.monotonic()
        breaches = sum(posted.values())
        deadline = back + 10 * max(retry, 1.0) + 30
        while len(fake.ephemerals()) < breaches and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        delivered_after = time.monotonic() - back
        await asyncio.sleep(max(2 * retry, 1.0))  # room for a doubled nudge to show up before counting
        rows = Counter(str(r["delivery_status"]) for r in _rows(settings.db_path))
        received = Counter(p.user for p in fake.ephemerals())
        return {"kind": kind, "outage": outage, "retry": retry, "messages": messages, "breaches": breaches,
                "failed_calls": fake.outage_failures, "retry_runs": bot.delivery.outbox_retry.runs,
                "delivered_after": delivered_after, "ephemerals": len(fake.ephemerals()),
                "statuses": dict(rows), "once_each": received == posted,
                "ok": received == posted and rows == Counter({"delivered": breaches})}


def _rows(db_path: Path) -> list[dict[str, object]]:
    import sqlite3

    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT delivery_status FROM incidents")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outage", type=float, default=60.0, help="seconds every nudge call fails")
    parser.add_argument("--retry", type=float, default=RETRY_SECONDS, help="outbox retry interval (seconds)")
    parser.add_argument("--kind", choices=("500", "internal_error", "disconnect"), default="500")
    parser.add_argument("--messages", type=int, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # the fake's own dropped connections
    console = Console()
    with tempfile.TemporaryDirectory() as folder, console.status(f"Slack failing for {args.outage:.0f} s..."):
        figures = asyncio.run(run(Path(folder), outage=args.outage, retry=args.retry, kind=args.kind,
                                  messages=args.messages))
    table = Table("measure", "value", title="nudgebot through a Slack Web API outage (fake Slack on 127.0.0.1)")
    for name, value in (("outage", f"{figures['outage']:.0f} s of {figures['kind']} on every nudge call"),
                        ("outbox retry", f"every {figures['retry']:g} s, doubling to 10x while it fails"),
                        ("messages / breaches", f"{figures['messages']} / {figures['breaches']}"),
                        ("failed Web API calls", f"{figures['failed_calls']:,}"),
                        ("outbox retry runs", str(figures["retry_runs"])),
                        ("all nudges in, after Slack was back", f"{figures['delivered_after']:.1f} s"),
                        ("ephemeral nudges received", str(figures["ephemerals"])),
                        ("delivery status of the incidents", str(figures["statuses"])),
                        ("every breach nudged exactly once", str(figures["once_each"]))):
        table.add_row(name, value)
    console.print(table)
    console.print("[green]OK[/]" if figures["ok"] else "[red]FAILED[/]")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
