"""`nudgebot audit` end to end: the real CLI on real-format exports, the database read back (the recording cases on
both backends, `db_target`). The CLI runs in-process (`cli`) but for one subprocess smoke test (`nudgebot_cmd`)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bot.store.engine import run_blocking
from tests.audit.exports import (
    BREACH_EDITED,
    BREACH_INSULT,
    BREACH_PHONE,
    BREACH_REPLY,
    GUILD,
    TEAM,
    SlackChannel,
    corrupt_zip_member,
    slack_message,
    society_discord_messages,
    society_slack_channels,
    write_dce_file,
    write_slack_export,
    zip_folder,
)
from tests.cli_inprocess import CliResult, InProcessCli

DAY1 = datetime(2026, 10, 5, 18, 30, tzinfo=UTC)
SLACK_BREACHES = {BREACH_PHONE, BREACH_INSULT, BREACH_REPLY, BREACH_EDITED}
DISCORD_BREACH_IDS = {"1100000000000000004", "1100000000000000006", "1100000000000000008"}


def _audit(cli: InProcessCli, *args: str | Path) -> CliResult:
    return cli("audit", *args)


def _query(db: Path | str, sql: str) -> list[dict[str, object]]:
    """Rows read straight from the database the audit wrote: the SQLite file, or the PostgreSQL database."""
    if isinstance(db, str):
        async def fetch() -> list[dict[str, object]]:
            connection = await asyncpg.connect(db)
            try:
                return [dict(row) for row in await connection.fetch(sql)]
            finally:
                await connection.close()

        return run_blocking(fetch)
    with sqlite3.connect(db) as connection:
        connection.row_factory = sqlite3.Row
        return [dict(row) for row in connection.execute(sql)]


def _incidents(db: Path | str) -> list[dict[str, object]]:
    return _query(db, "SELECT * FROM incidents ORDER BY id")


def _slack_ids(channels_of_export: list, texts: set[str]) -> set[str]:
    """The store ids (channel:ts) of the Slack messages with these texts, read from what the export holds."""
    return {f"{channel.id}:{message['ts']}" for channel in channels_of_export
            for messages in channel.days.values() for message in messages
            if message.get("text") in texts and not message.get("bot_id")}


def _summary_count(stdout: str, label: str) -> int:
    line = next(line for line in stdout.splitlines() if label in line)
    return int(line.split("│")[-2].strip().replace(",", ""))


def test_slack_folder_records_the_breaches_only_sends_nothing_and_a_rerun_adds_nothing(
        tmp_path: Path, cli: InProcessCli, db_target: Path | str) -> None:
    channels = society_slack_channels(DAY1)
    export = write_slack_export(tmp_path / "slack-export", channels)
    db = db_target

    first = _audit(cli, export, "--db", db)
    assert first.returncode == 0, first.stderr
    rows = _incidents(db)
    assert {row["message_id"] for row in rows} == _slack_ids(channels, SLACK_BREACHES)
    assert {(row["platform"], row["community_id"]) for row in rows} == {("slack", TEAM)}
    assert {row["delivery_status"] for row in rows} == {"suppressed"}  # nothing was, or will be, sent
    reply = next(row for row in rows if row["author_id"] == "U04CAL" and row["channel_id"] == "C01GENERAL")
    assert json.loads(str(reply["targets"])) == ["U01PRIYA"]
    assert _summary_count(first.stdout, "Messages scanned") == 11
    assert _summary_count(first.stdout, "New incidents recorded") == 4
    assert "Nothing was sent" in first.stdout

    again = _audit(cli, export, "--db", db)
    assert again.returncode == 0, again.stderr
    assert len(_incidents(db)) == 4
    assert _summary_count(again.stdout, "New incidents recorded") == 0
    assert _summary_count(again.stdout, "Already recorded") == 4


def test_slack_zip_with_a_corrupted_member_reports_it_and_reads_the_rest(
        tmp_path: Path, cli: InProcessCli, clean_env: dict[str, str]) -> None:
    channels = society_slack_channels(DAY1)
    archive = zip_folder(write_slack_export(tmp_path / "export", channels), tmp_path / "Society Slack export.zip")
    damaged = f"general/{(DAY1 + timedelta(days=1)).date().isoformat()}.json"  # holds the insult
    corrupt_zip_member(archive, damaged)
    clean_env["NUDGEBOT_DB"] = str(tmp_path / "from-env.db")  # --db absent: NUDGEBOT_DB is used

    result = _audit(cli, archive)
    assert result.returncode == 1
    assert damaged in result.stderr and "cannot be read" in result.stderr
    rows = _incidents(tmp_path / "from-env.db")
    assert {row["message_id"] for row in rows} == _slack_ids(channels, SLACK_BREACHES - {BREACH_INSULT})
    assert _summary_count(result.stdout, "Files skipped") == 1
    assert _summary_count(result.stdout, "Files read") == 3


def test_slack_since_leaves_older_messages_out(tmp_path: Path, nudgebot_cmd: list[str],
                                               clean_env: dict[str, str]) -> None:
    # The subprocess smoke test for `audit`.
    channels = society_slack_channels(DAY1)
    export = write_slack_export(tmp_path / "export", channels)
    since = (DAY1 + timedelta(days=2)).date().isoformat()  # the last day: only the edited phone number breaches
    result = subprocess.run([*nudgebot_cmd, "audit", str(export), "--since", since, "--db", str(tmp_path / "a.db")],
                            env=clean_env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert {row["message_id"] for row in _incidents(tmp_path / "a.db")} == _slack_ids(channels, {BREACH_EDITED})
    assert _summary_count(result.stdout, "Messages scanned") == 3


def test_discord_export_records_the_breaches_and_a_rerun_adds_nothing(
        tmp_path: Path, cli: InProcessCli, db_target: Path | str) -> None:
    export = write_dce_file(tmp_path / "UoL Film Society - general [880000000000000100].json",
                            society_discord_messages(DAY1))
    db = db_target
    first = _audit(cli, export, "--db", db)
    assert first.returncode == 0, first.stderr
    rows = _incidents(db)
    assert {row["message_id"] for row in rows} == DISCORD_BREACH_IDS
    assert {(row["platform"], row["community_id"], row["delivery_status"]) for row in rows} == {
        ("discord", GUILD["id"], "suppressed")}
    by_id = {row["message_id"]: row for row in rows}
    assert json.loads(str(by_id["1100000000000000004"]["targets"])) == ["900000000000000001"]
    assert by_id["1100000000000000008"]["revision"] == 60_000_000  # edited a minute after posting
    assert str(by_id["1100000000000000006"]["permalink"]).endswith("/880000000000000100/1100000000000000006")

    again = _audit(cli, export, "--db", db)
    assert again.returncode == 0
    assert [row["id"] for row in _incidents(db)] == [row["id"] for row in rows]


def test_discord_folder_with_a_broken_file_names_it_and_reads_the_others(
        tmp_path: Path, cli: InProcessCli) -> None:
    folder = tmp_path / "discord"
    write_dce_file(folder / "general.json", society_discord_messages(DAY1))
    (folder / "memes.json").write_text('{"guild": {"id": "880011223344556677"}, "channel": {"id": "9", "na',
                                       encoding="utf-8")
    result = _audit(cli, folder, "--db", tmp_path / "a.db", "--community", "424242")
    assert result.returncode == 1
    assert "memes.json" in result.stderr and "not valid JSON" in result.stderr
    rows = _incidents(tmp_path / "a.db")
    assert {row["message_id"] for row in rows} == DISCORD_BREACH_IDS
    assert {row["community_id"] for row in rows} == {"424242"}


def test_bad_arguments_and_paths_are_refused_in_one_line(tmp_path: Path, cli: InProcessCli) -> None:
    bad_date = _audit(cli, tmp_path, "--since", "05/10/2026")
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr
    missing = _audit(cli, tmp_path / "nowhere.zip")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines()[-1] == f"nudgebot: {tmp_path / 'nowhere.zip'}: no such file or folder"
    assert not (tmp_path / "nudgebot.db").exists()


def test_hostility_across_channels_is_counted_in_time_order_and_escalates(
        tmp_path: Path, cli: InProcessCli, db_target: Path | str) -> None:
    # Callum goes at Tom on three days, in two channels. Read channel by channel, the third day's message would be
    # recorded before the second day's and neither would see three incidents in the window; read day by day, the
    # third message makes three within the 7-day window and the committee gets one escalation.
    general, random_ = SlackChannel("C01GENERAL", "general"), SlackChannel("C02RANDOM", "random")
    for offset, channel, text in ((0, general, "<@U02TOM> you are a worthless idiot"),
                                  (1, random_, "<@U02TOM> honestly you're a pathetic loser"),
                                  (2, general, "<@U02TOM> shut up you absolute moron")):
        moment = DAY1 + timedelta(days=offset)
        channel.days[moment.date().isoformat()] = [slack_message("U04CAL", text, moment, 1),
                                                   slack_message("U01PRIYA", "see you at rehearsal", moment, 2)]
    export = write_slack_export(tmp_path / "export", [general, random_])
    result = _audit(cli, export, "--db", db_target)
    assert result.returncode == 0, result.stderr
    assert len(_incidents(db_target)) == 3
    escalations = _query(db_target, "SELECT author_id, target_id FROM escalations")
    linked = _query(db_target, "SELECT count(*) AS n FROM escalation_incidents")[0]["n"]
    assert escalations == [{"author_id": "U04CAL", "target_id": "U02TOM"}]
    assert linked == 3
    assert _summary_count(result.stdout, "Escalations opened") == 1


def test_a_database_that_stops_accepting_incidents_stops_the_audit(
        tmp_path: Path, cli: InProcessCli) -> None:
    export = write_slack_export(tmp_path / "export", society_slack_channels(DAY1))
    db = tmp_path / "full.db"
    upgrade = cli("db", "upgrade", "--db", db)
    assert upgrade.returncode == 0, upgrade.stderr
    with sqlite3.connect(db) as connection:  # a real SQLite failure on every insert, as a full disk gives
        connection.execute("CREATE TRIGGER disk_full BEFORE INSERT ON incidents "
                           "BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
    result = _audit(cli, export, "--db", db)
    assert result.returncode == 1
    assert "the database could not record an incident" in result.stderr
    assert "the audit stopped after" in result.stderr
    assert _incidents(db) == []
