"""`nudgebot community show|set`: the real CLI in-process against a real SQLite file, every setting on both
platforms, and the exit codes (2 for a wrong command line, 1 for a failure)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.models import NudgeMode, Platform
from bot.store import Store, migrate_database
from tests.cli_inprocess import CliResult, InProcessCli

# (platform, NAME=VALUE typed, field, value saved)
CASES = [
    ("discord", "committee=112233445566778899", "committee_role", "112233445566778899"),
    ("discord", "committee=Exec Team", "committee_role", "Exec Team"),  # a role's name, as setup allows
    ("slack", "committee=S0EXEC", "committee_role", "S0EXEC"),
    ("slack", "committee-channel=C0COMMITTEE", "committee_channel", "C0COMMITTEE"),
    ("discord", "alert-channel=223344556677889900", "alert_channel", "223344556677889900"),
    ("slack", "alert-channel=C0ALERTS", "alert_channel", "C0ALERTS"),
    ("discord", "under18=334455667788990011,445566778899001122", "under18_channels",
     ("334455667788990011", "445566778899001122")),
    ("slack", "under18=C0FRESHERS C0JUNIORS", "under18_channels", ("C0FRESHERS", "C0JUNIORS")),
    ("discord", "mode=off", "nudge_mode", NudgeMode.OFF),
    ("slack", "mode=record", "nudge_mode", NudgeMode.RECORD),
    ("discord", "retention=30", "retention_days", 30),
    ("slack", "retention=3650", "retention_days", 3650),
    ("discord", "content=on", "keep_full_content", True),
    ("slack", "content=yes", "keep_full_content", True),
    ("discord", "welfare-contact=Sam (welfare officer)", "welfare_contact", "Sam (welfare officer)"),
    ("slack", "welfare-contact=<@U0SAM>", "welfare_contact", "<@U0SAM>"),
    ("discord", "welfare-alerts=on", "welfare_alerts", True),
    ("slack", "welfare-alerts=true", "welfare_alerts", True),
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "nudgebot.db"
    migrate_database(path)
    return path


async def _saved(db: Path, platform: str, community: str) -> object:
    store = await Store.open(db)
    try:
        return await store.get_community(Platform(platform), community)
    finally:
        await store.close()


def _run(cli: InProcessCli, db: Path, *args: str) -> CliResult:
    return cli("community", *args[:1], "--db", db, *args[1:])


@pytest.mark.parametrize(("platform", "typed", "field", "saved"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_set_saves_each_setting_and_show_reads_it_back(cli: InProcessCli, db: Path, platform: str, typed: str,
                                                       field: str, saved: object) -> None:
    name, _, value = typed.partition("=")
    ran = _run(cli, db, "set", "--platform", platform, "--community", "C1", name + "=" + value.split()[0],
               *value.split()[1:])
    assert ran.returncode == 0, ran.stderr
    assert "Saved" in ran.stdout
    assert getattr(asyncio.run(_saved(db, platform, "C1")), field) == saved
    shown = _run(cli, db, "show", "--platform", platform, "--community", "C1", "--json")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data[field] == (list(saved) if isinstance(saved, tuple) else saved)
    # The other community, and the other platform's same id, are untouched.
    other = "discord" if platform == "slack" else "slack"
    assert json.loads(_run(cli, db, "show", "--platform", other, "--community", "C1", "--json").stdout)[field] \
        != data[field]


def test_a_slack_only_setting_is_refused_for_discord(cli: InProcessCli, db: Path) -> None:
    ran = _run(cli, db, "set", "--platform", "discord", "--community", "G1", "committee-channel=C0X")
    assert ran.returncode == 2 and "slack only" in ran.stderr and "nothing saved" in ran.stderr


@pytest.mark.parametrize("typed", ["retention=0", "retention=many", "mode=loud", "content=maybe", "colour=red",
                                   "just-words", "committee=@exec", "alert-channel=C0AAAAAA,C0BBBBBB"])
def test_a_wrong_setting_is_a_usage_error_and_saves_nothing(cli: InProcessCli, db: Path, typed: str) -> None:
    before = _run(cli, db, "show", "--platform", "slack", "--community", "T1", "--json").stdout
    ran = _run(cli, db, "set", "--platform", "slack", "--community", "T1", "mode=record", typed)
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.count("\n") == 1 and ran.stderr.startswith("nudgebot: nothing saved:")
    assert _run(cli, db, "show", "--platform", "slack", "--community", "T1", "--json").stdout == before


def test_usage_and_failure_exit_codes(cli: InProcessCli, db: Path, tmp_path: Path) -> None:
    assert cli("community").returncode == 2  # no action: its help
    assert _run(cli, db, "set", "--platform", "slack", "--community", "T1").returncode == 2  # nothing to set
    assert _run(cli, db, "show", "--platform", "slack").returncode == 2  # no community
    missing = cli("community", "show", "--db", tmp_path / "none.db", "--platform", "slack", "--community", "T1")
    assert missing.returncode == 1 and "no database" in missing.stderr
    assert not (tmp_path / "none.db").exists()
