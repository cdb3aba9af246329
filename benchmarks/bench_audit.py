"""`nudgebot audit` throughput: a generated export of 100,000 messages through the real audit path.

    python benchmarks/bench_audit.py [--messages 100000] [--channels 8] [--days 180] [--zip] [--keep DIR]
    python benchmarks/bench_audit.py --discord      # one DiscordChatExporter channel file of 100,000 messages

Writes a Slack workspace export (channels.json, users.json, one YYYY-MM-DD.json per channel and day) of seeded
society chat from chat_corpus.py in a temporary folder (or, with --discord, a single DiscordChatExporter JSON
file, to show that a channel file is streamed rather than loaded), then runs bot.audit exactly as `nudgebot audit` does
(open_core, run_audit, Moderator.handle(event, deliver=False)) against a fresh SQLite file, twice: the first run
records the incidents, the second finds them all already recorded. Prints messages/s, peak RSS and, to show where
the time goes, the scanner's own rate on the same texts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import sys
import tempfile
import time
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from chat_corpus import NAMES, generate
from rich.console import Console
from rich.table import Table

from bot.audit import open_export, run_audit
from bot.core import open_core
from bot.models import ScanContext
from bot.settings import Settings

TEAM = "T0BENCH01"
START = datetime(2026, 1, 12, 8, tzinfo=UTC)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_export(root: Path, messages: int, channels: int, days: int) -> tuple[int, list[str]]:
    """Write the export, one day file at a time; return the number of day files and the texts in order."""
    users = [{"id": f"U{index:08d}", "team_id": TEAM, "name": name.lower(), "real_name": name,
              "profile": {"display_name": name.lower(), "real_name": name}, "is_bot": False}
             for index, name in enumerate(NAMES)]
    names = [f"society-{index}" for index in range(channels)]
    (root / "users.json").write_text(json.dumps(users), encoding="utf-8")
    (root / "channels.json").write_text(json.dumps(
        [{"id": f"C{index:08d}", "name": name, "created": int(START.timestamp()), "members": [u["id"] for u in users]}
         for index, name in enumerate(names)]), encoding="utf-8")
    step = timedelta(days=days) / messages
    buffers: dict[int, tuple[str, list[dict[str, object]]]] = {}
    files = 0
    texts = []

    def flush(channel: int) -> None:
        nonlocal files
        day, batch = buffers.pop(channel)
        folder = root / names[channel]
        folder.mkdir(exist_ok=True)
        (folder / f"{day}.json").write_text(json.dumps(batch, indent=4), encoding="utf-8")
        files += 1

    for message in generate(messages):
        moment = START + step * message.id
        channel = message.id % channels
        day = moment.date().isoformat()
        if channel in buffers and buffers[channel][0] != day:
            flush(channel)
        user = users[(message.id * 7) % len(users)]
        buffers.setdefault(channel, (day, []))[1].append({
            "type": "message", "user": user["id"], "text": message.text,
            "ts": f"{int(moment.timestamp())}.{message.id % 1_000_000:06d}", "team": TEAM,
            "user_profile": {"display_name": user["name"], "real_name": user["real_name"]}})
        texts.append(message.text)
    for channel in list(buffers):
        flush(channel)
    return files, texts


def write_discord_export(path: Path, messages: int, days: int) -> tuple[int, list[str]]:
    """One DiscordChatExporter channel file holding every message, written as a stream; (1, texts)."""
    step = timedelta(days=days) / messages
    authors = [{"id": str(900000000000000000 + index), "name": name.lower(), "discriminator": "0000",
                "nickname": name, "color": None, "isBot": False,
                "roles": [{"id": "880000000000000010", "name": "Member", "color": None, "position": 1}],
                "avatarUrl": f"https://cdn.discordapp.com/embed/avatars/{index % 5}.png"}
               for index, name in enumerate(NAMES)]
    header = {"guild": {"id": "880011223344556677", "name": "Bench Society", "iconUrl": None},
              "channel": {"id": "880000000000000100", "type": "GuildTextChat", "categoryId": None, "category": None,
                          "name": "general", "topic": None},
              "dateRange": {"after": None, "before": None}, "exportedAt": START.isoformat()}
    texts = []
    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps(header, indent=2)[:-2] + ',\n  "messages": [\n')
        for message in generate(messages):
            moment = START + step * message.id
            entry = {"id": str(1100000000000000000 + message.id), "type": "Default",
                     "timestamp": moment.isoformat(timespec="milliseconds"), "timestampEdited": None,
                     "callEndedTimestamp": None, "isPinned": False, "content": message.text,
                     "author": authors[(message.id * 7) % len(authors)], "attachments": [], "embeds": [],
                     "stickers": [], "reactions": [], "mentions": [], "inlineEmojis": []}
            out.write(("    " if message.id == 0 else ",\n    ") + json.dumps(entry, ensure_ascii=False))
            texts.append(message.text)
        out.write(f'\n  ],\n  "messageCount": {messages}\n}}\n')
    return 1, texts


async def audit_twice(export: Path, db: Path) -> list[tuple[str, float, int, int, int, float]]:
    """Run the audit twice on a fresh database; (label, seconds, scanned, new, already, peak MiB) per run."""
    core = await open_core(replace(Settings(), db_path=db))
    runs = []
    try:
        for label in ("first run", "rerun (idempotent)"):
            reader = open_export(export)
            started = time.perf_counter()
            try:
                summary = await run_audit(reader, core.moderator)
            finally:
                reader.close()
            seconds = time.perf_counter() - started
            runs.append((label, seconds, summary.scanned, summary.new_incidents, summary.already_recorded,
                         _peak_mib()))
            if summary.problems:
                raise SystemExit(f"the generated export had problems: {summary.problems[:3]}")
    finally:
        await core.close()
    return runs


def main() -> None:
    """Generate the export, audit it, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--zip", action="store_true", help="audit the Slack export as a zip rather than a folder")
    parser.add_argument("--discord", action="store_true", help="one DiscordChatExporter channel file instead")
    parser.add_argument("--keep", type=Path, help="write the export and database here and keep them")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-audit-") as scratch:
        work = args.keep or Path(scratch)
        export = work / "slack-export"
        export.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if args.discord:
            export = export / "general.json"
            files, texts = write_discord_export(export, args.messages, args.days)
        else:
            files, texts = write_export(export, args.messages, args.channels, args.days)
        write_seconds = time.perf_counter() - started
        if args.zip and not args.discord:
            archive = work / "slack-export.zip"
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
                for file in sorted(export.rglob("*.json")):
                    out.write(file, file.relative_to(export).as_posix())
            export = archive
        size_mib = sum(f.stat().st_size for f in (work / "slack-export").rglob("*.json")) / 2**20
        peak_before = _peak_mib()
        db = work / "audit.db"
        db.unlink(missing_ok=True)
        runs = asyncio.run(audit_twice(export, db))
        with sqlite3.connect(db) as connection:
            stored = connection.execute("SELECT count(*) FROM incidents").fetchone()[0]
            suppressed = connection.execute(
                "SELECT count(*) FROM incidents WHERE delivery_status = 'suppressed'").fetchone()[0]

        from bot.detection.scanner import Scanner

        scanner = Scanner.from_directories()
        context = ScanContext()
        started = time.perf_counter()
        for text in texts:
            scanner.scan(text, context)
        scan_seconds = time.perf_counter() - started

    shape = "one DiscordChatExporter file" if args.discord else f"Slack export ({'zip' if args.zip else 'folder'})"
    table = Table("measure", "value", title=f"bench_audit: {shape}, {args.messages:,} messages")
    table.add_row("export", f"{files:,} file(s), {size_mib:,.1f} MiB, written in {write_seconds:.1f} s")
    for label, seconds, scanned, new, already, peak in runs:
        table.add_row(label, f"{scanned:,} messages in {seconds:.1f} s = {scanned / seconds:,.0f} messages/s; "
                             f"new incidents {new:,}, already recorded {already:,}; peak RSS {peak:,.0f} MiB")
    table.add_row("scanner alone, same texts", f"{len(texts) / scan_seconds:,.0f} messages/s")
    table.add_row("incidents in the database", f"{stored:,} ({suppressed:,} with delivery suppressed)")
    table.add_row("peak RSS before the audit", f"{peak_before:,.0f} MiB (export generator)")
    table.add_row("peak RSS overall", f"{_peak_mib():,.0f} MiB")
    Console().print(table)


if __name__ == "__main__":
    main()
