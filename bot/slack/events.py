"""Turns Slack `message` events (posts and edits) and shortcut payloads into platform-neutral MessageEvents."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.models import MessageEvent, Platform
from bot.posted import file_name_words, gather
from bot.slack.identity import (  # re-exported: the live app's callers name them here
    identify,
    message_id,
    posted_at,
    revision_of,
    split_message_id,
    thread_ts_of,
)

__all__ = ["from_message_event", "from_shortcut", "is_from_bot", "message_id", "permalink", "posted_text",
           "revision_of", "split_message_id", "targets_of", "thread_of", "ts_to_datetime"]

# Subtypes that carry a member's own words; every other subtype (joins, topic changes, deletions, bot posts) is
# not a member's message and is not moderated.
_MEMBER_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def ts_to_datetime(ts: str) -> datetime:
    """A Slack timestamp ("1700000000.000100") as an exact aware UTC datetime."""
    moment = posted_at(ts)
    if moment is None:
        raise ValueError(f"not a Slack ts: {ts!r}")
    return moment


def permalink(workspace_url: str, channel_id: str, ts: str) -> str:
    """Slack's permalink for a message, built as Slack builds it (no API call per message)."""
    if not workspace_url:
        return ""
    return f"{workspace_url.rstrip('/')}/archives/{channel_id}/p{ts.replace('.', '')}"


def targets_of(text: str, author_id: str, parent_user_id: str = "") -> tuple[str, ...]:
    """Who a message is aimed at: the people it mentions and the author of the thread it replies in."""
    found = dict.fromkeys(_MENTION.findall(text))
    if parent_user_id:
        found.setdefault(parent_user_id)
    found.pop(author_id, None)
    return tuple(found)


def thread_of(event: Mapping[str, Any]) -> str:
    """The `thread_ts` of a reply in a thread (a post or an edit of one), or "" for a top-level message."""
    message = event.get("message") if event.get("subtype") == "message_changed" else event
    return thread_ts_of(message or {})


def is_from_bot(message: Mapping[str, Any]) -> bool:
    """True for messages posted by any bot or integration, which are never moderated."""
    return bool(message.get("bot_id") or message.get("bot_profile")) or message.get("subtype") == "bot_message"


def posted_text(message: Mapping[str, Any]) -> str:
    """All the words a member posted in one message: what they typed, the messages they shared into it (Slack's
    `is_share` attachments), and each file's title, name and alt text."""
    parts: list[str | None] = [str(message.get("text") or "")]
    for attachment in message.get("attachments") or ():
        # Only a shared message: a link preview (an unfurl) holds a web page's words, not the member's.
        if isinstance(attachment, Mapping) and attachment.get("is_share"):
            parts.append(str(attachment.get("text") or attachment.get("fallback") or ""))
    for file in message.get("files") or ():
        if isinstance(file, Mapping):
            parts += [str(file.get("title") or ""), file_name_words(str(file.get("name") or "")),
                      str(file.get("alt_txt") or "")]
    return gather(parts)


def from_message_event(team_id: str, event: Mapping[str, Any], workspace_url: str = "") -> MessageEvent | None:
    """A `message` event (post or `message_changed` edit) as a MessageEvent, or None when it is not moderated."""
    channel_id = str(event.get("channel") or "")
    subtype = event.get("subtype")
    if subtype == "message_changed":
        message = event.get("message") or {}
        previous = event.get("previous_message") or {}
        # Slack also sends message_changed when it unfurls a link: no `edited`, same text; nothing to re-check.
        if not (message.get("edited") or {}).get("ts") or posted_text(message) == posted_text(previous):
            return None
    elif subtype not in _MEMBER_SUBTYPES:
        return None
    else:
        message = event
    identity = identify(channel_id, message)
    if identity is None or not isinstance(message.get("text"), str) or is_from_bot(message):
        return None
    text = posted_text(message)
    edited_ts = str((message.get("edited") or {}).get("ts") or "") if identity.is_edit else ""
    return MessageEvent(
        platform=Platform.SLACK, community_id=team_id, channel_id=channel_id,
        message_id=identity.message_id, author_id=identity.author_id, author_name="", text=text,
        created_at=posted_at(edited_ts) or ts_to_datetime(identity.ts), revision=identity.revision,
        is_edit=identity.is_edit,
        targets=targets_of(text, identity.author_id, str(message.get("parent_user_id") or "")),
        permalink=permalink(workspace_url, channel_id, identity.ts),
    )


def from_shortcut(team_id: str, payload: Mapping[str, Any], workspace_url: str = "") -> MessageEvent | None:
    """The message a member reported with the "Report to committee" shortcut, or None if it has no author."""
    message = payload.get("message") or {}
    channel_id = str((payload.get("channel") or {}).get("id") or "")
    identity = identify(channel_id, {**message, "edited": None})  # a report is about the message, not an edit
    if identity is None:
        return None
    text = posted_text(message)
    return MessageEvent(
        platform=Platform.SLACK, community_id=team_id, channel_id=channel_id,
        message_id=identity.message_id, author_id=identity.author_id, author_name="", text=text,
        created_at=ts_to_datetime(identity.ts), targets=targets_of(text, identity.author_id),
        permalink=permalink(workspace_url, channel_id, identity.ts),
    )
