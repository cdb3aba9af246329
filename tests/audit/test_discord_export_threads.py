"""A DiscordChatExporter export of a thread names its parent channel, so the audit applies the parent's audience."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.audit import open_export
from bot.models import MessageEvent
from tests.audit.exports import dce_message, write_dce_file

DAY1 = datetime(2026, 10, 7, 19, 0, tzinfo=UTC)
PARENT = "880000000000000100"
THREAD = "880000000000000777"


def _events(path: Path) -> list[MessageEvent]:
    return [item for unit in open_export(path).units() for item in unit.read() if isinstance(item, MessageEvent)]


def _as_thread(path: Path) -> Path:
    """Rewrite the channel header as DiscordChatExporter writes a thread's: "categoryId" is the parent channel."""
    document = json.loads(path.read_text(encoding="utf-8"))
    document["channel"].update({"id": THREAD, "type": "GuildPublicThread", "categoryId": PARENT,
                                "category": "general", "name": "film-night-ideas", "topic": None})
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_a_thread_export_carries_its_parent_channel(tmp_path: Path) -> None:
    messages = [dce_message("1100000000000000101", "900000000000000001", "what about Jaws next week?", DAY1)]
    path = _as_thread(write_dce_file(tmp_path / f"thread [{THREAD}].json", messages))
    [event] = _events(path)
    assert (event.channel_id, event.parent_channel_id) == (THREAD, PARENT)


def test_a_plain_channel_has_no_parent_even_with_a_category(tmp_path: Path) -> None:
    messages = [dce_message("1100000000000000102", "900000000000000001", "what about Jaws next week?", DAY1)]
    [event] = _events(write_dce_file(tmp_path / f"general [{PARENT}].json", messages))
    assert (event.channel_id, event.parent_channel_id) == (PARENT, "")  # its categoryId is a category
