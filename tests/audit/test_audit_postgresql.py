"""The CLI on a PostgreSQL store (NUDGEBOT_DB=postgresql://...): upgrade, demo, audit, the committee's commands,
and two audits of one export at the same time recording each breach once.

`db upgrade` and the two simultaneous audits are real processes; the other commands run in-process (`cli`, the
same `bot.cli.main` on the same server), since each command's own subprocess smoke test is elsewhere and a
process per command cost a cold start and a rule-pack compile each (about 4 minutes of this module's time under
load)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.audit.exports import TEAM, dce_message, society_slack_channels, write_dce_file, write_slack_export
from tests.audit.test_audit_cli import SLACK_BREACHES, _slack_ids
from tests.cli_inprocess import CliResult, InProcessCli
from tests.postgres import fresh_database
from tests.tierpack import SHADOW, SHADOW_RULE, write_tier_pack

REPO_ROOT = Path(__file__).resolve().parents[2]

DAY1 = datetime(2026, 10, 5, 18, 30, tzinfo=UTC)


@pytest.fixture
async def pg_env(clean_env: dict[str, str]) -> dict[str, str]:
    async with fresh_database() as url:
        clean_env["NUDGEBOT_DB"] = url
        yield clean_env


def _cli(cmd: list[str], env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*cmd, *map(str, args)], env=env, capture_output=True, text=True, timeout=180,
                            check=False)
    assert result.returncode == 0, result.stderr
    return result


async def _audits_at_once(cmd: list[str], env: dict[str, str], export: Path) -> list[tuple[bytes, bytes]]:
    """Two `nudgebot audit` runs of one export started together; their outputs, once both succeeded."""
    audits = [await asyncio.create_subprocess_exec(*cmd, "audit", str(export), env=env, stdout=subprocess.PIPE,
                                                   stderr=subprocess.PIPE) for _ in range(2)]
    outputs = await asyncio.gather(*(audit.communicate() for audit in audits))
    assert [audit.returncode for audit in audits] == [0, 0], "\n".join(err.decode()[-3000:] for _, err in outputs)
    return outputs


async def _here(cli: InProcessCli, env: dict[str, str], *args: str | Path) -> CliResult:
    """One command in this process (in a thread: it runs its own event loop); it must succeed."""
    result = await asyncio.to_thread(cli, *args, env=env)
    assert result.returncode == 0, result.stderr
    return result


async def _rows(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


async def test_upgrade_demo_and_the_committee_commands_work_on_postgresql(
        tmp_path: Path, nudgebot_cmd: list[str], pg_env: dict[str, str], cli: InProcessCli) -> None:
    upgrade = " ".join(_cli(nudgebot_cmd, pg_env, "db", "upgrade").stdout.split())  # rich wraps long lines
    released = sorted(path.stem for path in (REPO_ROOT / "migrations" / "postgresql").glob("[0-9]*.sql"))
    assert all(f"applied {name}" in upgrade for name in released), upgrade  # 0001_initial ... the newest
    latest = int(released[-1].split("_")[0])
    assert f"version {latest}" in " ".join((await _here(cli, pg_env, "db", "status")).stdout.split())

    await _here(cli, pg_env, "demo", "--report", tmp_path / "demo.html")
    listed = json.loads((await _here(cli, pg_env, "incidents", "list", "--json", "--limit", "100")).stdout)
    assert listed["total"] > 0 and {i["platform"] for i in listed["incidents"]} == {"demo"}
    # The demo again on the same server replaces its earlier week instead of adding a second one.
    await _here(cli, pg_env, "demo", "--report", tmp_path / "again.html")
    again = json.loads((await _here(cli, pg_env, "incidents", "list", "--json", "--limit", "100")).stdout)
    assert again["total"] == listed["total"]

    first = next(i for i in again["incidents"] if i["status"] == "open")
    shown = (await _here(cli, pg_env, "incidents", "show", str(first["id"]), "--json")).stdout
    assert json.loads(shown)["incident"]["id"] == first["id"]
    await _here(cli, pg_env, "incidents", "review", str(first["id"]), "dismiss", "--note", "banter between friends")
    reviewed = json.loads((await _here(cli, pg_env, "incidents", "show", str(first["id"]), "--json")).stdout)
    assert reviewed["incident"]["status"] == "dismissed"
    stats = " ".join((await _here(cli, pg_env, "incidents", "stats")).stdout.split())
    assert stats.startswith(f"{again['total']} incident")
    exported = (await _here(cli, pg_env, "incidents", "export", "--format", "csv")).stdout
    assert len(exported.strip().splitlines()) == again["total"] + 1
    await _here(cli, pg_env, "report", "--out", tmp_path / "report.html")
    assert "<svg" in (tmp_path / "report.html").read_text(encoding="utf-8")


async def test_two_audits_of_one_export_at_once_record_each_breach_once(
        tmp_path: Path, nudgebot_cmd: list[str], pg_env: dict[str, str], cli: InProcessCli) -> None:
    channels = society_slack_channels(DAY1)
    export = write_slack_export(tmp_path / "slack-export", channels)
    await _here(cli, pg_env, "db", "upgrade")

    outputs = await _audits_at_once(nudgebot_cmd, pg_env, export)

    rows = await _rows(pg_env["NUDGEBOT_DB"], "SELECT platform, community_id, message_id, revision FROM incidents")
    assert Counter(row["message_id"] for row in rows) == Counter(_slack_ids(channels, SLACK_BREACHES))
    assert {(row["platform"], row["community_id"]) for row in rows} == {("slack", TEAM)}
    recorded = [next(int(line.split("│")[-2].strip()) for line in out.decode().splitlines()
                     if "New incidents recorded" in line) for out, _ in outputs]
    assert sum(recorded) == len(SLACK_BREACHES)  # between them, each breach was new to exactly one audit


async def test_two_audits_at_once_keep_each_shadow_match_once(
        tmp_path: Path, nudgebot_cmd: list[str], pg_env: dict[str, str]) -> None:
    minute = timedelta(minutes=1)
    ids = [f"11000000000000001{n:02d}" for n in range(6)]
    export = write_dce_file(tmp_path / "general.json", [
        dce_message(message_id, f"90000000000000000{n % 3 + 1}", f"{SHADOW} #{n}", DAY1 + n * minute)
        for n, message_id in enumerate(ids)])
    env = {**pg_env, "NUDGEBOT_RULES_DIR": str(write_tier_pack(tmp_path / "committee-rules"))}
    _cli(nudgebot_cmd, env, "db", "upgrade")

    await _audits_at_once(nudgebot_cmd, env, export)
    _cli(nudgebot_cmd, env, "audit", str(export))  # and a third, replayed afterwards

    rows = await _rows(env["NUDGEBOT_DB"], "SELECT message_id, revision, rule_id FROM shadow_matches")
    assert Counter((row["message_id"], row["revision"], row["rule_id"]) for row in rows) == Counter(
        (message_id, 0, SHADOW_RULE) for message_id in ids)
    stats = json.loads(_cli(nudgebot_cmd, env, "rules", "stats", "--json").stdout)
    assert {r["rule"]: r["shadow"] for r in stats["rules"]}[SHADOW_RULE] == len(ids)
