"""The Slack export reader: folder and zip, ids and targets, edits, ignored posts, --since and damaged files."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import ExportFormatError, open_export
from bot.audit.common import BEFORE_SINCE
from bot.audit.slack_export import SlackExport
from bot.models import Platform
from tests.audit.exports import (
    BREACH_EDITED,
    BREACH_INSULT,
    BREACH_PHONE,
    BREACH_REPLY,
    TEAM,
    SlackChannel,
    corrupt_zip_member,
    read_all,
    slack_message,
    slack_ts,
    society_slack_channels,
    write_slack_export,
    zip_folder,
)

DAY1 = datetime(2026, 10, 5, 18, 30, tzinfo=UTC)


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    return write_slack_export(tmp_path / "export", society_slack_channels(DAY1))


def test_folder_export_yields_member_messages_with_ids_names_and_targets(export_dir: Path) -> None:
    reader = open_export(export_dir)
    assert isinstance(reader, SlackExport)
    events, ignored, problems = read_all(reader)
    assert problems == []
    assert len(events) == 11  # 13 posts, less a join notice and a bot post
    assert sorted(i.reason for i in ignored) == ["bot or system message", "bot or system message"]
    assert {e.platform for e in events} == {Platform.SLACK}
    assert {e.community_id for e in events} == {TEAM}
    by_text = {e.text.replace("<@U02TOM>", "@tom"): e for e in events}

    reply = by_text[BREACH_REPLY]
    assert reply.channel_id == "C01GENERAL" and reply.channel_name == "general"
    assert reply.author_id == "U04CAL" and reply.author_name == "callum"
    assert reply.targets == ("U01PRIYA",)  # the author of the thread's parent
    assert reply.message_id == f"C01GENERAL:{int(reply.created_at.timestamp())}.000003"
    assert reply.created_at == DAY1 + timedelta(minutes=5, microseconds=3)

    insult = next(e for e in events if e.text == BREACH_INSULT)
    assert insult.targets == ("U02TOM",)
    phone = next(e for e in events if e.text == BREACH_PHONE)
    assert phone.channel_id == "G01COMMITTEE" and phone.channel_name == "committee"
    assert (phone.revision, phone.is_edit) == (0, False)
    edited = next(e for e in events if e.text == BREACH_EDITED)
    # The revision is the edit's ts in microseconds, as the live Slack app numbers edits.
    edit_ts = (DAY1 + timedelta(days=2, minutes=1)).timestamp()
    assert (edited.revision, edited.is_edit) == (int(edit_ts) * 1_000_000, True)
    thanks = next(e for e in events if e.text.startswith("Thanks"))
    assert thanks.targets == ("U01PRIYA",)


def test_zip_export_reads_the_same_as_the_folder(export_dir: Path, tmp_path: Path) -> None:
    folder_events, _, _ = read_all(open_export(export_dir))
    archive = zip_folder(export_dir, tmp_path / "export.zip")
    reader = open_export(archive)
    zip_events, _, problems = read_all(reader)
    reader.close()
    assert problems == []
    assert zip_events == folder_events


def test_zip_with_a_top_level_folder_is_read(export_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "wrapped.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in export_dir.rglob("*.json"):
            out.write(file, "Leicester Film Soc Slack export/" + file.relative_to(export_dir).as_posix())
    events, _, problems = read_all(open_export(archive))
    assert problems == [] and len(events) == 11


def test_corrupted_zip_member_is_reported_and_the_rest_is_read(export_dir: Path, tmp_path: Path) -> None:
    archive = zip_folder(export_dir, tmp_path / "export.zip")
    damaged = f"general/{(DAY1 + timedelta(days=1)).date().isoformat()}.json"
    corrupt_zip_member(archive, damaged)
    events, _, problems = read_all(open_export(archive))
    assert [p.file for p in problems] == [damaged]
    assert "cannot be read" in problems[0].reason
    assert len(events) == 11 - 2  # that day's two member posts are lost, nothing else


def test_bad_json_wrong_shape_and_missing_fields_are_named(export_dir: Path) -> None:
    bad_json = export_dir / "general" / "2026-10-20.json"
    bad_json.write_text('[{"type": "message", "user": "U01PRIYA", "text": "hi", "ts": "17', encoding="utf-8")
    wrong_shape = export_dir / "general" / "2026-10-21.json"
    wrong_shape.write_text(json.dumps({"messages": []}), encoding="utf-8")
    holes = export_dir / "committee" / "2026-10-22.json"
    holes.write_text(json.dumps([
        {"type": "message", "text": "no user here", "ts": "1792000000.000100"},
        {"type": "message", "user": "U01PRIYA", "text": "no ts here"},
        "just a string",
        slack_message("U01PRIYA", "still read", datetime(2026, 10, 22, 9, tzinfo=UTC)),
    ]), encoding="utf-8")
    events, _, problems = read_all(open_export(export_dir))
    reasons = {(p.file, p.whole_file): p.reason for p in problems}
    assert "is not valid JSON" in reasons[("general/2026-10-20.json", True)]
    assert "expected a list of messages, found a JSON dict" in reasons[("general/2026-10-21.json", True)]
    partial = sorted(p.reason for p in problems if not p.whole_file)
    assert partial == ["message 1 (ts 1792000000.000100) has no 'user'", "message 2 has no valid 'ts' (got None)",
                       "message 3 is a JSON str, not an object"]
    assert any(e.text == "still read" for e in events)
    assert len(events) == 12


def test_since_skips_older_days_and_messages(export_dir: Path) -> None:
    since = DAY1 + timedelta(days=1)
    since = datetime(since.year, since.month, since.day, tzinfo=UTC)
    reader = open_export(export_dir, since=since)
    events, ignored, problems = read_all(reader)
    assert problems == []
    assert all(e.created_at >= since for e in events)
    assert len(events) == 7
    # Day 1 is within the one-day allowance, so its member posts are opened and counted as before --since.
    assert sum(1 for i in ignored if i.reason == BEFORE_SINCE) == 4


def test_community_override_and_missing_workspace_id(tmp_path: Path) -> None:
    channels = society_slack_channels(DAY1)
    overridden = write_slack_export(tmp_path / "a", channels)
    events, _, _ = read_all(open_export(overridden, community_id="T0OTHER"))
    assert {e.community_id for e in events} == {"T0OTHER"}

    for channel in channels:
        for messages in channel.days.values():
            for message in messages:
                message.pop("team", None)
    anonymous = write_slack_export(tmp_path / "b", channels, users_json=[])
    with pytest.raises(ExportFormatError, match="--community"):
        open_export(anonymous)


def test_a_zip_that_is_not_a_slack_export_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "photos.zip"
    with zipfile.ZipFile(junk, "w") as out:
        out.writestr("holiday.txt", "not an export")
    with pytest.raises(ExportFormatError, match="not a Slack export"):
        open_export(junk)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ExportFormatError, match="not a readable zip"):
        open_export(broken)


def test_ids_and_revisions_match_the_live_slack_app(export_dir: Path) -> None:
    events = pytest.importorskip("bot.slack.events")
    ours, _, _ = read_all(open_export(export_dir))
    for event in ours:
        channel, ts = events.split_message_id(event.message_id)
        assert events.message_id(channel, ts) == event.message_id
        assert channel == event.channel_id
    edited = next(e for e in ours if e.is_edit)
    edit_ts = f"{int((DAY1 + timedelta(days=2, minutes=1)).timestamp())}.000000"
    assert events.revision_of(edit_ts) == edited.revision


def test_a_reply_without_parent_user_id_targets_the_parent_seen_days_before(tmp_path: Path) -> None:
    channel = SlackChannel("C09CLUB", "club")
    parent_ts = slack_ts(DAY1, 1)
    channel.days[DAY1.date().isoformat()] = [slack_message("U01PRIYA", "Kit list for Saturday in this thread", DAY1,
                                                           1, thread_ts=parent_ts, reply_count=1)]
    later = DAY1 + timedelta(days=3)
    channel.days[later.date().isoformat()] = [slack_message("U02TOM", "thanks, got it", later, 1,
                                                            thread_ts=parent_ts)]
    events, _, problems = read_all(open_export(write_slack_export(tmp_path / "e", [channel])))
    assert problems == []
    assert [e.targets for e in events] == [(), ("U01PRIYA",)]


def test_day_files_are_read_day_by_day_across_channels(export_dir: Path) -> None:
    names = [unit.name for unit in open_export(export_dir).units()]
    days = [name.rsplit("/", 1)[1] for name in names]
    assert days == sorted(days)
    assert names[1:3] == sorted(names[1:3]) and {n.split("/")[0] for n in names[1:3]} == {"general", "committee"}


def test_direct_messages_are_left_out(tmp_path: Path) -> None:
    general = SlackChannel("C01GENERAL", "general")
    general.days[DAY1.date().isoformat()] = [slack_message("U01PRIYA", "hello all", DAY1, 1)]
    export = write_slack_export(tmp_path / "e", [general])
    (export / "dms.json").write_text(json.dumps([{"id": "D0AB12CD34", "created": 1693526400,
                                                  "members": ["U01PRIYA", "U02TOM"]}]), encoding="utf-8")
    for folder in ("D0AB12CD34", "mpdm-priya--tom--aisha-1"):  # the second one is not even in mpims.json
        (export / folder).mkdir()
        (export / folder / f"{DAY1.date().isoformat()}.json").write_text(
            json.dumps([slack_message("U02TOM", BREACH_PHONE, DAY1, 2)]), encoding="utf-8")
    reader = open_export(export)
    events, _, problems = read_all(reader)
    assert problems == []
    assert [e.text for e in events] == ["hello all"]
    assert reader.excluded == {"D0AB12CD34", "mpdm-priya--tom--aisha-1"}


def test_a_channel_folder_on_its_own_is_refused_with_the_fix(export_dir: Path) -> None:
    with pytest.raises(ExportFormatError, match="one channel's folder from a Slack export"):
        open_export(export_dir / "general")


def test_shared_messages_and_file_titles_read_as_the_live_app_reads_them(tmp_path: Path) -> None:
    from bot.slack.events import from_message_event
    from tests.fakes import slack_events as live

    channel = SlackChannel("C09CLUB", "club")
    shared_from = live.message("U02TOM", "C09OTHER", "Priya you are such a pathetic loser")
    sharing = slack_message("U01PRIYA", "", DAY1, 1, attachments=[live.shared(shared_from, team_id=TEAM)])
    uploading = slack_message("U03AISHA", "from Saturday", DAY1, 2, subtype="file_share",
                              files=[live.file("IMG_7.png", title="you worthless idiot", user="U03AISHA")])
    channel.days[DAY1.date().isoformat()] = [sharing, uploading]
    events, _, problems = read_all(open_export(write_slack_export(tmp_path / "e", [channel])))
    assert problems == []
    assert [e.text for e in events] == [from_message_event(TEAM, {**m, "channel": "C09CLUB"}).text  # type: ignore
                                        for m in (sharing, uploading)]
    assert [e.text for e in events] == ["Priya you are such a pathetic loser",
                                        "from Saturday\nyou worthless idiot\nIMG 7"]
