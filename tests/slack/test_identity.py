"""The live Slack app and the Slack export reader give a message the same identity (message id, revision, channel,
author, thread), because both take it from `bot.slack.identity`: an audit rerun must not record again what the live
app recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.audit import open_export
from bot.models import MessageEvent
from bot.slack.events import from_message_event, thread_of
from bot.slack.identity import identify, posted_at, revision_of, split_message_id
from tests.audit.exports import TEAM, SlackChannel, read_all, slack_message, slack_ts, write_slack_export
from tests.fakes import slack_events as live

DAY = datetime(2026, 10, 5, 18, 30, tzinfo=UTC)
CHANNEL = "C07HIKING"


def _key(event: MessageEvent) -> tuple[Any, ...]:
    """What the store tells messages apart by, and who posted it where (not when: the live app times an edit by
    the edit, an export has only the post's time)."""
    return (event.platform, event.community_id, event.channel_id, event.message_id, event.revision, event.is_edit,
            event.author_id)


def _as_live(message: dict[str, Any]) -> MessageEvent | None:
    """The live app's reading of the message: a post, or (when edited) the message_changed event Slack sent."""
    if "edited" not in message:
        return from_message_event(TEAM, {**message, "channel": CHANNEL})
    first = {**{k: v for k, v in message.items() if k != "edited"}, "text": "before the edit", "channel": CHANNEL}
    changed = live.edit(first, message["text"], edited_ts=message["edited"]["ts"])
    changed["message"] = {**message, **changed["message"]}
    return from_message_event(TEAM, changed)


MESSAGES = {
    "post": slack_message("U01PRIYA", "who has the map for Sunday", DAY, 1),
    "edit": slack_message("U02TOM", "meet at the station, 9am", DAY, 2,
                          edited={"user": "U02TOM", "ts": slack_ts(DAY + timedelta(minutes=3), 417)}),
    # A ts with more than six fraction digits is read to the microsecond, live and in the export alike.
    "long fraction": slack_message("U03AISHA", "running five minutes late", DAY, 3,
                                   edited={"user": "U03AISHA", "ts": f"{int(DAY.timestamp()) + 60}.0000042999"}),
    "reply": slack_message("U01PRIYA", "I'll bring spare gloves", DAY, 4, thread_ts=slack_ts(DAY, 1),
                           parent_user_id="U01PRIYA"),
}


@pytest.mark.parametrize("name", list(MESSAGES))
def test_the_live_app_and_the_export_reader_give_the_same_ids(tmp_path: Path, name: str) -> None:
    message = MESSAGES[name]
    channel = SlackChannel(CHANNEL, "hiking", days={DAY.date().isoformat(): [message]})
    exported, _, problems = read_all(open_export(write_slack_export(tmp_path / "export", [channel])))
    assert problems == []
    live_event = _as_live(message)
    assert live_event is not None and len(exported) == 1
    assert _key(live_event) == _key(exported[0])
    identity = identify(CHANNEL, message)
    assert identity is not None and identity.message_id == live_event.message_id
    assert split_message_id(identity.message_id) == (CHANNEL, message["ts"])
    if name == "reply":
        assert identity.thread_ts == thread_of({**message, "channel": CHANNEL}) == slack_ts(DAY, 1)


def test_an_edits_revision_rises_and_keeps_the_microsecond() -> None:
    assert revision_of("1700000000.000100") == 1_700_000_000_000_100
    assert revision_of("1700000000.0001009") == revision_of("1700000000.000100")  # cut at six digits
    assert revision_of("1700000000.5") < revision_of("1700000000.500001")
    assert revision_of("not a ts") == 1 and revision_of(None) == 1  # an edit all the same
    assert posted_at("1700000000.000100") == datetime(2023, 11, 14, 22, 13, 20, 100, tzinfo=UTC)
    assert posted_at("yesterday") is None


def test_what_has_no_identity() -> None:
    assert identify("", {"user": "U1", "ts": "1.0"}) is None
    assert identify(CHANNEL, {"ts": "1.0"}) is None
    assert identify(CHANNEL, {"user": "U1", "ts": "soon"}) is None
    top = identify(CHANNEL, {"user": "U1", "ts": "5.0", "thread_ts": "5.0", "reply_count": 2})
    assert top is not None and top.thread_ts == "" and top.revision == 0 and not top.is_edit
