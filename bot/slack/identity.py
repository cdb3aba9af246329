"""Who and which a Slack message is (message id, revision, channel, author, thread), computed one way for the
live app (`bot.slack.events`) and the export reader (`bot.audit.slack_export`).

The store's idempotency key is (platform, community, message id, revision): an audit rerun must give a message the
ids the live app recorded for it, or the same message would be recorded twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MICROS = 6  # a ts has at most six fraction digits; more are cut, as Slack's own microsecond ts is read


@dataclass(frozen=True, slots=True)
class SlackIdentity:
    """One version of one Slack message, as the store knows it."""

    channel_id: str
    ts: str
    author_id: str
    revision: int  # 0 for the post; an edit: its `edited.ts` in microseconds (rises with every edit)
    thread_ts: str = ""  # the thread it replies in; "" for a top-level message (or a thread's parent)

    @property
    def message_id(self) -> str:
        """The store's message id: a `ts` is unique only within a channel."""
        return message_id(self.channel_id, self.ts)

    @property
    def is_edit(self) -> bool:
        """An edited version (the export keeps only the last one, with its edit's ts)."""
        return self.revision > 0


def message_id(channel_id: str, ts: str) -> str:
    """A Slack message's id for the store: its channel and `ts`."""
    return f"{channel_id}:{ts}"


def split_message_id(value: str) -> tuple[str, str]:
    """The (channel, ts) back from `message_id()`."""
    channel, _, ts = value.partition(":")
    return channel, ts


def _parts(ts: object) -> tuple[int, int] | None:
    """(seconds, microseconds) of a Slack ts such as "1700000000.000100", or None when it is not one."""
    if not isinstance(ts, str):
        return None
    seconds, _, fraction = ts.partition(".")
    if not seconds.isdigit() or not (fraction.isdigit() or fraction == ""):
        return None
    return int(seconds), int(fraction[:MICROS].ljust(MICROS, "0"))


def posted_at(ts: object) -> datetime | None:
    """A ts as an exact aware UTC datetime (no float rounding of the microseconds), or None when it is not one."""
    parts = _parts(ts)
    if parts is None:
        return None
    try:
        return datetime.fromtimestamp(parts[0], UTC).replace(microsecond=parts[1])
    except (ValueError, OverflowError, OSError):
        return None


def revision_of(edited_ts: object) -> int:
    """An edit's revision: its `edited.ts` in microseconds; 1 for an edit whose ts cannot be read (still an edit)."""
    parts = _parts(edited_ts)
    return 1 if parts is None else parts[0] * 1_000_000 + parts[1]


def thread_ts_of(message: Mapping[str, Any]) -> str:
    """The `thread_ts` of a reply in a thread, or "" for a top-level message or a thread's parent."""
    thread_ts = message.get("thread_ts")
    return thread_ts if isinstance(thread_ts, str) and thread_ts and thread_ts != message.get("ts") else ""


def identify(channel_id: str, message: Mapping[str, Any]) -> SlackIdentity | None:
    """The identity of a message object (an event's, an edit's `message`, or an export's), or None when it has no
    channel, author or valid ts."""
    user, ts = message.get("user"), message.get("ts")
    if not channel_id or not isinstance(user, str) or not user or posted_at(ts) is None:
        return None
    assert isinstance(ts, str)
    edited = message.get("edited")
    revision = revision_of(edited.get("ts")) if isinstance(edited, Mapping) else 0
    return SlackIdentity(channel_id=channel_id, ts=ts, author_id=user, revision=revision,
                         thread_ts=thread_ts_of(message))
