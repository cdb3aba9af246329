"""`nudgebot audit` with a committee rules dir holding review- and shadow-tier rules: the real CLI on a real export."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.audit.exports import GUILD, dce_message, write_dce_file
from tests.cli_inprocess import InProcessCli
from tests.tierpack import HELD, HELD_RULE, SHADOW, SHADOW_RULE, write_tier_pack

DAY1 = datetime(2026, 10, 5, 18, 30, tzinfo=UTC)


def _rows(db: Path, sql: str) -> list[dict[str, object]]:
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql)]


def _summary_count(stdout: str, label: str) -> int:
    line = next(line for line in stdout.splitlines() if label in line)
    return int(line.split("│")[-2].strip().replace(",", ""))


def test_an_audit_holds_review_tier_messages_and_counts_shadow_ones(tmp_path: Path, cli: InProcessCli,
                                                                    clean_env: dict[str, str]) -> None:
    minute = timedelta(minutes=1)
    export = write_dce_file(tmp_path / "general.json", [
        dce_message("1100000000000000001", "900000000000000001", "Film night is Wednesday", DAY1),
        dce_message("1100000000000000002", "900000000000000002", HELD, DAY1 + minute),
        dce_message("1100000000000000003", "900000000000000003", SHADOW, DAY1 + 2 * minute),
    ])
    db = tmp_path / "audit.db"
    env = {**clean_env, "NUDGEBOT_RULES_DIR": str(write_tier_pack(tmp_path / "committee-rules"))}
    result = cli("audit", export, "--db", db, env=env)
    assert result.returncode == 0, result.stderr
    incidents = _rows(db, "SELECT * FROM incidents")
    assert [(r["message_id"], r["status"], r["tier"], r["delivery_status"]) for r in incidents] == [
        ("1100000000000000002", "review", "review", "suppressed")]
    assert incidents[0]["rules"] == f'["{HELD_RULE}"]'
    assert _summary_count(result.stdout, "New incidents recorded") == 1
    assert _summary_count(result.stdout, "held for review") == 1
    assert _summary_count(result.stdout, "Flagged") == 0  # nothing at the nudge tier
    shadow = _rows(db, "SELECT rule_id, community_id, sample FROM shadow_matches")
    assert [(r["rule_id"], r["community_id"]) for r in shadow] == [(SHADOW_RULE, GUILD["id"])]
    # An audit never sends: confirming a held incident from it later queues no nudge either.
    confirm = cli("incidents", "review", str(incidents[0]["id"]), "--confirm", "--db", db, env=env)
    assert confirm.returncode == 0, confirm.stderr
    assert "queued" not in confirm.stdout
    assert _rows(db, "SELECT status, delivery_status FROM incidents") == [
        {"status": "confirmed", "delivery_status": "suppressed"}]


def test_an_audit_replayed_on_one_export_counts_each_shadow_match_once(tmp_path: Path, cli: InProcessCli,
                                                                       clean_env: dict[str, str]) -> None:
    minute = timedelta(minutes=1)
    export = write_dce_file(tmp_path / "general.json", [
        dce_message("1100000000000000011", "900000000000000001", SHADOW, DAY1),
        dce_message("1100000000000000012", "900000000000000002", f"{SHADOW} again", DAY1 + minute),
    ])
    db = tmp_path / "audit.db"
    env = {**clean_env, "NUDGEBOT_RULES_DIR": str(write_tier_pack(tmp_path / "committee-rules"))}
    for _ in range(2):
        result = cli("audit", export, "--db", db, env=env)
        assert result.returncode == 0, result.stderr
    shadow = _rows(db, "SELECT message_id, revision FROM shadow_matches ORDER BY message_id")
    assert [(r["message_id"], r["revision"]) for r in shadow] == [("1100000000000000011", 0),
                                                                   ("1100000000000000012", 0)]
    stats = cli("rules", "stats", "--db", db, "--json", env=env)
    assert stats.returncode == 0, stats.stderr
    by_rule = {r["rule"]: r for r in json.loads(stats.stdout)["rules"]}
    assert by_rule[SHADOW_RULE]["shadow"] == 2  # the committee's statistics: two messages, not four
