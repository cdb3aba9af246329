"""`nudgebot incidents list --status review`, `incidents review --confirm` and `rules stats`, through the real CLI
(in-process: `cli`)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import DeliveryStatus, Platform, ShadowRecord, Tier
from bot.store import HELD_REASON, Store
from tests.cli_inprocess import CliResult, InProcessCli
from tests.core.test_store_methods import new

NOW = datetime.now(UTC)


async def fill(db: Path) -> dict[str, int]:
    """A nudged incident, two held for review, and shadow matches of a rule on trial."""
    store = await Store.open(db)
    try:
        ids = {}
        for message_id, tier, days_ago in (("m1", Tier.NUDGE, 1), ("m2", Tier.REVIEW, 2), ("m3", Tier.REVIEW, 3)):
            incident = new(message_id, at=NOW - timedelta(days=days_ago))
            incident = replace(incident, tier=tier, rules=(f"rule.{tier.value}",),
                               delivery_status=DeliveryStatus.SUPPRESSED if tier is Tier.REVIEW
                               else DeliveryStatus.PENDING,
                               delivery_reason=HELD_REASON if tier is Tier.REVIEW else "")
            ids[message_id], _ = await store.record_incident(incident)
        await store.record_shadow([ShadowRecord(Platform.DISCORD, "g1", "rule.trial", "5.5.3", f"what a s***{n}r",
                                                NOW - timedelta(hours=n)) for n in range(4)])
        return ids
    finally:
        await store.close()


def run(cli: InProcessCli, *args: str, code: int = 0) -> CliResult:
    result = cli(*args)
    assert result.returncode == code, result.stderr
    return result


def test_list_filters_held_incidents_and_shows_status_and_tier(cli: InProcessCli, clean_env: dict[str, str]) -> None:
    ids = asyncio.run(fill(Path(clean_env["NUDGEBOT_DB"])))
    held = json.loads(run(cli, "incidents", "list", "--status", "review", "--json").stdout)
    assert [i["id"] for i in held["incidents"]] == [ids["m2"], ids["m3"]]
    assert {(i["status"], i["tier"]) for i in held["incidents"]} == {("review", "review")}
    table = run(cli, "incidents", "list").stdout
    assert "held for review" in table and "tier" in table
    shown = run(cli, "incidents", "show", str(ids["m2"])).stdout
    assert "held for review" in shown and "tier review" in shown


def test_review_confirm_queues_the_nudge_once_and_dismiss_queues_none(cli: InProcessCli,
                                                                      clean_env: dict[str, str]) -> None:
    db = Path(clean_env["NUDGEBOT_DB"])
    ids = asyncio.run(fill(db))
    confirmed = json.loads(run(cli, "incidents", "review", str(ids["m2"]), "--confirm",
                               "--json").stdout)
    assert (confirmed["status"], confirmed["delivery_status"], confirmed["nudge_queued"]) == (
        "confirmed", "pending", True)
    text = run(cli, "incidents", "review", str(ids["m3"]), "--dismiss").stdout
    assert "dismissed" in text and "queued" not in text
    again = run(cli, "incidents", "review", str(ids["m2"]), "--confirm", code=1)
    assert "cannot confirm" in again.stderr
    with sqlite3.connect(db) as connection:
        pending = connection.execute("SELECT id FROM incidents WHERE delivery_status = 'pending' ORDER BY id")
        assert [row[0] for row in pending] == [ids["m1"], ids["m2"]]  # the outbox owes m2's nudge, not m3's


def test_rules_stats_shows_nudges_held_and_shadow_volume_read_only(cli: InProcessCli,
                                                                   clean_env: dict[str, str]) -> None:
    db = Path(clean_env["NUDGEBOT_DB"])
    asyncio.run(fill(db))
    before = db.stat().st_mtime_ns
    stats = json.loads(run(cli, "rules", "stats", "--json").stdout)
    by_rule = {r["rule"]: r for r in stats["rules"]}
    assert (by_rule["rule.nudge"]["nudges"], by_rule["rule.nudge"]["held_for_review"]) == (1, 0)
    assert (by_rule["rule.review"]["held_for_review"], by_rule["rule.review"]["nudges"]) == (2, 0)
    assert by_rule["rule.trial"]["shadow"] == 4
    assert by_rule["rule.trial"]["samples"] == ["what a s***0r", "what a s***1r", "what a s***2r"]  # newest first
    recent = json.loads(run(cli, "rules", "stats", "--since", "2h", "--json").stdout)
    assert {r["rule"]: r["shadow"] for r in recent["rules"]} == {"rule.trial": 2}  # 0 h and 1 h ago
    table = run(cli, "rules", "stats").stdout
    assert "rule.trial" in table and "what a s***0r" in table and "shadow" in table
    assert db.stat().st_mtime_ns == before
    db.chmod(0o444)  # a read-only file still gives its statistics
    try:
        assert run(cli, "rules", "stats", "--json").returncode == 0
    finally:
        db.chmod(0o644)
