"""`nudgebot incidents ...` against a database filled through the Store: the real CLI in-process (`cli`), and one
subprocess smoke test (`nudgebot_cmd`)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.models import Community, IncidentStatus, Platform
from bot.store import Store
from tests.cli_inprocess import CliResult, InProcessCli
from tests.core.test_store_methods import new

NOW = datetime.now(UTC)


async def fill(db: Path | str) -> dict[str, int]:
    """Five incidents in two communities; one old enough to purge; returns ids by message id."""
    store = await Store.open(db)
    try:
        await store.save_community(Community(Platform.DISCORD, "g1", retention_days=30), NOW)
        ids = {}
        for message_id, author, community, days_ago in (("m1", "u1", "g1", 1), ("m2", "u2", "g1", 2),
                                                        ("m3", "u1", "g1", 40), ("m4", "u1", "g2", 3),
                                                        ("m5", "=cmd|' /C calc'!A0", "g1", 4)):
            ids[message_id], _ = await store.record_incident(
                new(message_id, author=author, community=community, at=NOW - timedelta(days=days_ago),
                    content=f"full text of {message_id}", clauses=("5.6.2",) if message_id == "m2" else ("5.5.1",)))
        return ids
    finally:
        await store.close()


def run(cli: InProcessCli, *args: str, code: int = 0) -> CliResult:
    result = cli("incidents", *args)
    assert result.returncode == code, result.stderr
    return result


@pytest.fixture
async def filled(db_target: Path | str, clean_env: dict[str, str]) -> dict[str, int]:
    """The incidents of `fill`, in a SQLite file and in a PostgreSQL database: the CLI reads NUDGEBOT_DB."""
    clean_env["NUDGEBOT_DB"] = str(db_target)
    return await fill(db_target)


def test_list_json_filters_and_scopes(cli: InProcessCli, filled: dict[str, int]) -> None:
    everything = json.loads(run(cli, "list", "--json").stdout)
    assert everything["total"] == 5
    assert [i["message_id"] for i in everything["incidents"]] == ["m1", "m2", "m4", "m5", "m3"]  # newest first
    one_community = json.loads(run(cli, "list", "--json", "--community", "g2").stdout)
    assert [i["message_id"] for i in one_community["incidents"]] == ["m4"]
    filtered = json.loads(run(cli, "list", "--json", "--author", "u1", "--clause", "5.5.1",
                              "--since", "10d", "--platform", "discord").stdout)
    assert [i["message_id"] for i in filtered["incidents"]] == ["m1", "m4"]
    page = json.loads(run(cli, "list", "--json", "--limit", "2", "--offset", "1").stdout)
    assert [i["message_id"] for i in page["incidents"]] == ["m2", "m4"] and page["total"] == 5


def test_list_table_for_people_shows_chat_text_literally(nudgebot_cmd: list[str], clean_env: dict[str, str],
                                                        filled: dict[str, int]) -> None:
    # The subprocess smoke test for `incidents`.
    done = subprocess.run([*nudgebot_cmd, "incidents", "list"], env=clean_env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    table = done.stdout
    assert "incidents 1-5 of 5" in table and "discord/g1/c1" in table and "s***r" in table
    assert "name-=cmd|' /C calc'!A0" in table  # a chat name is printed as it is, never read as markup


def test_review_then_show_keeps_the_audit_trail(cli: InProcessCli, filled: dict[str, int]) -> None:
    incident_id = str(filled["m1"])
    reviewed = json.loads(run(cli, "review", incident_id, "confirm", "--note", "clear slur",
                              "--as", "chair", "--json").stdout)
    assert reviewed["status"] == IncidentStatus.CONFIRMED.value
    refused = run(cli, "review", incident_id, "confirm", code=1)
    assert "cannot confirm" in refused.stderr and "Traceback" not in refused.stderr
    detail = json.loads(run(cli, "show", incident_id, "--json").stdout)
    assert [(e["actor_id"], e["action"], e["note"]) for e in detail["events"]][-1] == ("chair", "confirm",
                                                                                       "clear slur")
    assert detail["clauses"][0]["id"] == "5.5.1"
    assert "audit trail" in run(cli, "show", incident_id).stdout
    missing = run(cli, "show", "999999", code=1)
    assert "no incident #999999" in missing.stderr


def test_export_csv_is_formula_safe_and_json_is_complete(cli: InProcessCli, filled: dict[str, int],
                                                         tmp_path: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run(cli, "export", "--community", "g1").stdout)))
    assert {r["message_id"] for r in rows} == {"m1", "m2", "m3", "m5"}
    assert {r["author_id"] for r in rows if r["message_id"] == "m5"} == {"'=cmd|' /C calc'!A0"}
    out = tmp_path / "export.json"
    run(cli, "export", "--format", "json", "--status", "open", "--output", str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["count"] == 5


def test_stats_json(cli: InProcessCli, filled: dict[str, int]) -> None:
    stats = json.loads(run(cli, "stats", "--json", "--community", "g1").stdout)
    assert stats["total"] == 4 and stats["open_incidents"] == 4
    assert sum(stats["by_clause_week"]["5.5.1"].values()) == 3 and sum(stats["by_clause_week"]["5.6.2"].values()) == 1
    assert "incidents per clause per ISO week" in run(cli, "stats").stdout


def test_purge_removes_old_content_only(cli: InProcessCli, filled: dict[str, int]) -> None:
    assert json.loads(run(cli, "purge", "--json").stdout) == {"purged": 1}  # m3, 40 days, g1
    shown = {i["message_id"]: i for i in json.loads(run(cli, "list", "--json").stdout)["incidents"]}
    assert shown["m3"]["content"] is None and shown["m3"]["excerpt"] == "" and shown["m3"]["clauses"] == ["5.5.1"]
    assert shown["m4"]["content"] == "full text of m4"  # g2 keeps the 180-day default
    assert json.loads(run(cli, "purge", "--json").stdout) == {"purged": 0}


def test_subject_access_and_erasure(cli: InProcessCli, filled: dict[str, int]) -> None:
    access = json.loads(run(cli, "export", "--author", "u1").stdout)
    assert sorted(i["message_id"] for i in access["incidents"]) == ["m1", "m3", "m4"]
    assert all(i["events"][0]["action"] == "recorded" for i in access["incidents"])
    unconfirmed = run(cli, "export", "--erase-author", "u1", code=1)
    assert "3 incidents" in unconfirmed.stderr and "--yes" in unconfirmed.stderr
    assert json.loads(run(cli, "export", "--author", "u1").stdout)["count"] == 3
    erased = json.loads(run(cli, "export", "--erase-author", "u1", "--yes").stdout)
    assert erased["anonymised"] == 3
    assert json.loads(run(cli, "export", "--author", "u1").stdout)["count"] == 0
    listed = json.loads(run(cli, "list", "--json").stdout)["incidents"]
    assert "u1" not in {i["author_id"] for i in listed} and "full text of m1" not in json.dumps(listed)
    assert len(listed) == 5  # metadata kept


def test_a_missing_database_is_a_clear_error(cli: InProcessCli, tmp_path: Path) -> None:
    result = run(cli, "list", "--db", str(tmp_path / "absent.db"), code=1)
    assert "no database at" in result.stderr and not (tmp_path / "absent.db").exists()
    bad_date = run(cli, "list", "--since", "yesterday-ish", code=2)
    assert "not a date" in bad_date.stderr


async def test_a_kept_name_is_in_the_subject_access_answer_and_goes_with_erasure(
        cli: InProcessCli, clean_env: dict[str, str]) -> None:
    store = await Store.open(Path(clean_env["NUDGEBOT_DB"]))
    try:
        await store.save_names(Platform.SLACK, "T1", "member", {"U-target": "Sam Target"}, NOW)
    finally:
        await store.close()
    # In a thread: the command runs its own event loop, and this test's loop is idle meanwhile.
    access = json.loads((await asyncio.to_thread(run, cli, "export", "--author", "U-target")).stdout)
    assert access["names"] == [{"platform": "slack", "community_id": "T1", "name": "Sam Target"}]
    await asyncio.to_thread(run, cli, "export", "--erase-author", "U-target", "--yes")
    assert json.loads((await asyncio.to_thread(run, cli, "export", "--author", "U-target")).stdout)["names"] == []
