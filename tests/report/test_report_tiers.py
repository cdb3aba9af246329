"""`nudgebot report` counts and lists incidents held for review apart from the open queue (real core, real CLI)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import open_core
from bot.models import Community, MessageEvent, Platform, Principal, ReviewAction
from bot.settings import load_settings
from tests.cli_inprocess import InProcessCli
from tests.tierpack import HELD, build_tier_scanner

START = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
NUDGED = "text Jess on 07700 900461 about the tickets"


def _section(page: str, heading_id: str) -> str:
    found = re.search(rf"<section aria-labelledby={heading_id}>(.*?)</section>", page, re.S)
    assert found, f"no section {heading_id}"
    return found.group(1)


async def test_held_incidents_are_counted_and_listed_apart(tmp_path: Path, cli: InProcessCli) -> None:
    db = tmp_path / "incidents.db"
    core = await open_core(replace(load_settings(env_file=None, environ={}), db_path=db),
                           scanner=build_tier_scanner(tmp_path / "committee-rules"))
    try:
        await core.store.save_community(Community(platform=Platform.DISCORD, community_id="g1", name="Soc"), START)
        ids = []
        for number, text in enumerate((HELD, HELD, NUDGED)):
            outcome = await core.moderator.handle(MessageEvent(
                platform=Platform.DISCORD, community_id="g1", channel_id="c1", message_id=f"m{number}",
                author_id=f"u{number}", author_name=f"Member {number}", text=text,
                created_at=START + timedelta(hours=number)))
            ids.append(outcome.incident_id)
        chair = Principal(platform=Platform.DISCORD, community_id="g1", user_id="chair", is_committee=True)
        await core.review_incident(chair, ids[1], ReviewAction.DISMISS, "banter between friends")
    finally:
        await core.close()
    # In a thread: the command runs its own event loop, and this test's loop is idle meanwhile.
    result = await asyncio.to_thread(cli, "report", "--db", db, "--out", tmp_path / "report.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    held = _section(page, "h-held")
    assert "2 incidents in this period were held for review" in held  # the dismissed one was held too
    cell = '<td class=num data-label="#">{}</td>'.format
    assert cell(ids[0]) in held and cell(ids[1]) not in held
    assert cell(ids[2]) not in held
    assert "grobblewit" not in page  # masked everywhere
    open_queue = _section(page, "h-open")
    assert cell(ids[2]) in open_queue and cell(ids[0]) not in open_queue
    assert re.search(r'<div class="value">1</div><div class="label">held for review \(nobody nudged\)</div>', page)
