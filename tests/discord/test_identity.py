"""The live bot and the DiscordChatExporter reader give a message the same identity (message id, revision, channel,
author, thread), because both take it from `bot.discord.identity`: an audit of an export holding what the live
bot already recorded records nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.audit import open_export
from bot.discord.identity import identify, revision_of
from bot.models import MessageEvent
from tests.audit import exports
from tests.audit.exports import dce_message, write_dce_file
from tests.discord.support import RunningBot, World, incident_rows
from tests.fakes.discord_payloads import DISCORD_EPOCH_MS

BREACH = "text Priya on 07700 900123, that's her number"
WORSE = "text Priya on 07700 900123 or 07700 900456, she won't mind"


def _posted_at(snowflake: str) -> datetime:
    """When Discord says a message was posted: its snowflake's time (the `timestamp` an export carries)."""
    return datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, UTC)


def _export(tmp_path: Path, world: World, channel_id: int, messages: list[dict[str, Any]], *,
            parent: int | None = None) -> list[MessageEvent]:
    """The messages as DiscordChatExporter exports them from this guild's channel (or thread), read back."""
    path = write_dce_file(tmp_path / f"export [{channel_id}].json", [
        dce_message(m["id"], str(world.alice), m["content"], _posted_at(m["id"]),
                    edited=datetime.fromisoformat(m["edited_timestamp"]) if m.get("edited_timestamp") else None)
        for m in messages], channel_id=str(channel_id))
    document = json.loads(path.read_text(encoding="utf-8"))
    document["guild"]["id"] = world.guild_id
    if parent is not None:
        document["channel"].update({"type": "GuildPublicThread", "categoryId": str(parent)})
    path.write_text(json.dumps(document), encoding="utf-8")
    return [item for unit in open_export(path).units() for item in unit.read() if isinstance(item, MessageEvent)]


def _ids(row_or_event: Any) -> tuple[str, str, str, str, int, str]:
    get = row_or_event.__getitem__ if isinstance(row_or_event, dict) else lambda k: getattr(row_or_event, k)
    return (get("community_id"), get("channel_id"), get("message_id"), get("author_id"), int(get("revision")),
            get("permalink"))


async def test_the_live_bot_and_the_export_reader_give_the_same_ids(running: RunningBot, world: World, settings,
                                                                   tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    fake = world.fake
    monkeypatch.setitem(exports.DISCORD_USERS, str(world.alice), "alice")  # the export's helpers name its people
    posted = await fake.post_message(world.general, world.alice, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge")
    edited = await fake.edit_message(posted, WORSE)
    in_thread = await fake.post_message(world.thread, world.alice, BREACH)
    await fake.wait_for(lambda: len(incident_rows(settings.db_path)) == 3, what="three incidents")
    await running.idle(fake)
    live = {(r["message_id"], r["revision"] > 0): r for r in incident_rows(settings.db_path)}

    # The export holds the last version of each message: the edit, and the thread's message.
    [exported_edit] = _export(tmp_path / "channel", world, world.general, [edited])
    [exported_thread] = _export(tmp_path / "thread", world, world.thread, [in_thread], parent=world.general)
    assert _ids(exported_edit) == _ids(live[(posted["id"], True)])
    assert exported_edit.revision > 0 and exported_edit.is_edit
    assert _ids(exported_thread) == _ids(live[(in_thread["id"], False)])
    assert exported_thread.parent_channel_id == str(world.general)


def test_an_edits_revision_counts_whole_milliseconds() -> None:
    posted = datetime(2026, 10, 5, 18, 30, 0, 123_000, tzinfo=UTC)
    assert revision_of(posted, None) == 0
    assert revision_of(posted, posted + timedelta(seconds=60)) == 60_000_000
    # The gateway's microseconds and an export's milliseconds name the same edit.
    assert revision_of(posted, posted + timedelta(microseconds=2_500_700)) == revision_of(
        posted, posted + timedelta(milliseconds=2_500)) == 2_500_000
    assert revision_of(posted, posted) == 1  # an edit all the same
    identity = identify(1, 2, 3, 4, posted, posted + timedelta(seconds=1), parent_channel_id=9)
    assert (identity.guild_id, identity.channel_id, identity.message_id, identity.author_id) == ("1", "2", "3", "4")
    assert identity.is_edit and identity.parent_channel_id == "9"
    assert identity.permalink == "https://discord.com/channels/1/2/3"
