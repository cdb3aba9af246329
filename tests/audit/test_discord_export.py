"""The DiscordChatExporter reader: ids, targets, edits, permalinks, --since, folders and broken files."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.audit import ExportFormatError, open_export
from bot.audit.discord_export import DiscordExport
from bot.models import Platform
from tests.audit.exports import GUILD, dce_message, read_all, society_discord_messages, write_dce_file

DAY1 = datetime(2026, 10, 7, 19, 0, tzinfo=UTC)


def test_channel_file_yields_member_messages_with_targets_edits_and_permalinks(tmp_path: Path) -> None:
    path = write_dce_file(tmp_path / "UoL Film Society - Text Channels - general [880000000000000100].json",
                          society_discord_messages(DAY1))
    reader = open_export(path)
    assert isinstance(reader, DiscordExport)
    events, ignored, problems = read_all(reader)
    assert problems == []
    assert len(events) == 6 and len(ignored) == 2  # a join notice and a bot's post are not members' posts
    assert {(e.platform, e.community_id, e.channel_id, e.channel_name) for e in events} == {
        (Platform.DISCORD, GUILD["id"], "880000000000000100", "general")}
    by_id = {e.message_id: e for e in events}
    reply = by_id["1100000000000000004"]
    assert reply.author_id == "900000000000000003" and reply.author_name == "Aisha"
    assert reply.targets == ("900000000000000001",)  # the author of the message replied to
    assert reply.created_at == DAY1 + timedelta(minutes=3)
    assert reply.permalink == f"https://discord.com/channels/{GUILD['id']}/880000000000000100/1100000000000000004"
    assert by_id["1100000000000000006"].targets == ("900000000000000001",)  # a mention
    edited = by_id["1100000000000000008"]
    assert (edited.revision, edited.is_edit) == (60_000_000, True)  # microseconds from post to edit, as live
    assert (by_id["1100000000000000002"].revision, by_id["1100000000000000002"].is_edit) == (0, False)


def test_timestamps_with_an_offset_become_utc(tmp_path: Path) -> None:
    message = dce_message("1", "900000000000000001", "hello", DAY1)
    message["timestamp"] = "2026-10-07T20:00:00.000+01:00"
    events, _, _ = read_all(open_export(write_dce_file(tmp_path / "c.json", [message])))
    assert events[0].created_at == datetime(2026, 10, 7, 19, 0, tzinfo=UTC)


def test_folder_of_exports_reads_every_file_and_names_the_bad_ones(tmp_path: Path) -> None:
    folder = tmp_path / "dce"
    write_dce_file(folder / "general.json", society_discord_messages(DAY1))
    write_dce_file(folder / "film-night.json", [dce_message("2200000000000000001", "900000000000000002",
                                                            "popcorn is sorted", DAY1)],
                   channel_id="880000000000000200", channel_name="film-night")
    (folder / "notes.json").write_text(json.dumps({"title": "not an export"}), encoding="utf-8")
    (folder / "truncated.json").write_text('{"guild": {"id": "1", "name": "x"}, "channel": {"id": "2"', "utf-8")
    events, _, problems = read_all(open_export(folder))
    assert len(events) == 7
    assert {e.channel_name for e in events} == {"general", "film-night"}
    named = {p.file: p.reason for p in problems}
    assert set(named) == {"notes.json", "truncated.json"}
    assert "not a DiscordChatExporter JSON export" in named["notes.json"]
    assert "'guild'" in named["notes.json"]


def test_a_file_broken_midway_keeps_the_messages_before_the_break(tmp_path: Path) -> None:
    path = write_dce_file(tmp_path / "general.json", society_discord_messages(DAY1))
    text = path.read_text(encoding="utf-8")
    cut = text.index('"id": "1100000000000000006"')
    path.write_text(text[:cut] + '"id": tru', encoding="utf-8")
    events, _, problems = read_all(open_export(path))
    assert [e.message_id for e in events] == ["1100000000000000002", "1100000000000000003", "1100000000000000004"]
    assert len(problems) == 1 and problems[0].file == "general.json"
    assert "the JSON breaks after 5 messages" in problems[0].reason


def test_messages_missing_fields_are_named_and_skipped(tmp_path: Path) -> None:
    good = dce_message("3300000000000000003", "900000000000000001", "still here", DAY1)
    no_author = dce_message("3300000000000000001", "900000000000000001", "who wrote this", DAY1)
    del no_author["author"]
    bad_time = dce_message("3300000000000000002", "900000000000000001", "when", DAY1)
    bad_time["timestamp"] = "last Tuesday"
    path = write_dce_file(tmp_path / "general.json", [no_author, bad_time, 42, good])
    events, _, problems = read_all(open_export(path))
    assert [e.text for e in events] == ["still here"]
    assert [(p.whole_file, p.reason) for p in problems] == [
        (False, "message 1 (id 3300000000000000001) has no 'author' with an 'id'"),
        (False, "message 2 (id 3300000000000000002) has no valid 'timestamp' (got 'last Tuesday')"),
        (False, "message 3 is a JSON int, not an object"),
    ]


def test_since_and_community_override(tmp_path: Path) -> None:
    path = write_dce_file(tmp_path / "general.json", society_discord_messages(DAY1))
    since = datetime(2026, 10, 8, tzinfo=UTC)
    events, ignored, _ = read_all(open_export(path, since=since, community_id="123"))
    assert [e.message_id for e in events] == ["1100000000000000006", "1100000000000000007", "1100000000000000008"]
    assert {e.community_id for e in events} == {"123"}
    assert sum(1 for i in ignored if i.reason == "before --since") == 3


def test_empty_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ExportFormatError, match=r"no \.json files"):
        open_export(tmp_path / "empty")
    with pytest.raises(ExportFormatError, match="no such file"):
        open_export(tmp_path / "missing.json")


def test_a_folder_is_read_in_time_order_across_channels(tmp_path: Path) -> None:
    folder = tmp_path / "guild"
    hour = timedelta(hours=1)
    write_dce_file(folder / "a-general.json", [
        dce_message(f"40{i}", "900000000000000001", f"general {i}", DAY1 + 2 * i * hour) for i in range(3)])
    write_dce_file(folder / "b-random.json", [
        dce_message(f"50{i}", "900000000000000002", f"random {i}", DAY1 + (2 * i + 1) * hour) for i in range(3)],
        channel_id="880000000000000300", channel_name="random")
    (folder / "c-broken.json").write_text("{", encoding="utf-8")
    reader = open_export(folder)
    assert len(reader.units()) == 1 and reader.units()[0].files == 3
    events, _, problems = read_all(reader)
    assert [e.text for e in events] == ["general 0", "random 0", "general 1", "random 1", "general 2", "random 2"]
    assert [p.file for p in problems] == ["c-broken.json"]


def test_direct_message_exports_are_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    write_dce_file(folder / "general.json", society_discord_messages(DAY1))
    dm = write_dce_file(folder / "Direct Messages - aisha.json", society_discord_messages(DAY1),
                        channel_id="880000000000000999", channel_name="aisha")
    document = json.loads(dm.read_text(encoding="utf-8"))
    document["guild"] = {"id": "0", "name": "Direct Messages", "iconUrl": None}
    document["channel"]["type"] = "DirectTextChat"
    dm.write_text(json.dumps(document), encoding="utf-8")
    reader = open_export(folder)
    events, _, problems = read_all(reader)
    assert problems == []
    assert {e.channel_id for e in events} == {"880000000000000100"}
    assert reader.excluded == {"Direct Messages - aisha.json"}


def test_attachment_names_are_read_as_the_live_bot_reads_them(tmp_path: Path) -> None:
    moment = datetime(2026, 10, 5, 18, 30, tzinfo=UTC)
    message = dce_message("880000000000000900", "900000000000000001", "", moment)
    message["attachments"] = [{"id": "880000000000000901", "url": "https://cdn.discordapp.com/x.png",
                               "fileName": "SPOILER_you_worthless-idiot.png", "fileSizeBytes": 48213}]
    events, _, problems = read_all(open_export(write_dce_file(tmp_path / "general.json", [message])))
    assert problems == [] and [e.text for e in events] == ["you worthless idiot"]
