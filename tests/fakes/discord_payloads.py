"""Builders for Discord API objects (users, members, roles, channels, messages, interactions) in their real shapes.

Field lists follow the Discord API reference (API v10). discord.py reads several fields without a default
(`flags` on members, `attachment_size_limit` on interactions, `permissions` on roles), so every builder fills
all the fields a real payload carries, not only the ones nudgebot looks at.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
EVERYONE_DEFAULT = VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | (1 << 31)  # + app commands

# Channel types.
GUILD_TEXT = 0
DM = 1
PUBLIC_THREAD = 11
GUILD_FORUM = 15

# Message reference types.
REFERENCE_DEFAULT = 0  # a reply
REFERENCE_FORWARD = 1

# Message types.
DEFAULT = 0
REPLY = 19
GUILD_MEMBER_JOIN = 7


class Snowflakes:
    """Unique, time-ordered Discord ids (timestamp << 22 | worker bits | increment)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        """A fresh snowflake for now; strictly increasing."""
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            candidate = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
            self._last = max(self._last + 1, candidate)
            return self._last

    def next_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A fresh snowflake whose guild would be on this shard ((id >> 22) % shard_count == shard_id)."""
        with self._lock:
            ms = max(self._last >> 22, int(time.time() * 1000) - DISCORD_EPOCH_MS) + 1
            ms += (shard_id - ms) % shard_count
            self._last = (ms << 22) | (1 << 17) | (next(self._counter) & 0xFFF)
            return self._last


def iso(moment: datetime | None = None) -> str:
    """An ISO-8601 timestamp as Discord writes it (microseconds, +00:00)."""
    return (moment or datetime.now(UTC)).isoformat(timespec="microseconds")


def user(user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    data: dict[str, Any] = {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": None if bot else username.title(),
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if bot:
        data["bot"] = True
    return data


def member(user_data: dict[str, Any], roles: list[int], joined_at: str, *, with_user: bool = True,
           permissions: int | None = None) -> dict[str, Any]:
    """A guild member object (with the user unless it is nested in a message, where Discord leaves it out)."""
    data: dict[str, Any] = {
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if with_user:
        data["user"] = user_data
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(role_id: int, name: str, permissions: int, position: int, *, managed: bool = False) -> dict[str, Any]:
    """A role object."""
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(channel_id: int, guild_id: int, name: str, position: int) -> dict[str, Any]:
    """A guild text channel."""
    return {
        "id": str(channel_id),
        "type": GUILD_TEXT,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "default_auto_archive_duration": 4320,
        "flags": 0,
    }


def thread_channel(channel_id: int, guild_id: int, parent_id: int, owner_id: int, name: str) -> dict[str, Any]:
    """A public thread under a text channel."""
    return {
        "id": str(channel_id),
        "type": PUBLIC_THREAD,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "rate_limit_per_user": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 4320,
            "archive_timestamp": iso(),
            "locked": False,
            "create_timestamp": iso(),
        },
    }


def forum_channel(channel_id: int, guild_id: int, name: str, position: int) -> dict[str, Any]:
    """A forum channel: members start posts (threads with a title and a first message) in it."""
    return {
        "id": str(channel_id),
        "type": GUILD_FORUM,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "default_auto_archive_duration": 4320,
        "default_thread_rate_limit_per_user": 0,
        "available_tags": [],
        "default_reaction_emoji": None,
        "default_sort_order": None,
        "default_forum_layout": 0,
        "flags": 0,
    }


def attachment(attachment_id: int, filename: str, *, description: str | None = None, title: str | None = None,
               content_type: str = "image/png", size: int = 48_213) -> dict[str, Any]:
    """An attachment object; `description` is the alt text a member gave it."""
    data: dict[str, Any] = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": f"https://cdn.discordapp.com/attachments/1/{attachment_id}/{filename}",
        "proxy_url": f"https://media.discordapp.net/attachments/1/{attachment_id}/{filename}",
        "content_type": content_type,
        "width": 640,
        "height": 480,
        "flags": 0,
    }
    if description is not None:
        data["description"] = description
    if title is not None:
        data["title"] = title
    return data


def poll(question: str, answers: list[str], *, hours: int = 24) -> dict[str, Any]:
    """A poll object as a message carries it."""
    expiry = datetime.fromtimestamp(time.time() + hours * 3600, UTC)
    return {
        "question": {"text": question},
        "answers": [{"answer_id": n, "poll_media": {"text": text}} for n, text in enumerate(answers, 1)],
        "expiry": iso(expiry),
        "allow_multiselect": False,
        "layout_type": 1,
        "results": {"is_finalized": False, "answer_counts": []},
    }


def snapshot(original: dict[str, Any]) -> dict[str, Any]:
    """A message snapshot: the subset of a forwarded message Discord copies into the forward."""
    fields = ("type", "content", "embeds", "attachments", "timestamp", "edited_timestamp", "flags", "mentions",
              "mention_roles", "components")
    return {"message": {name: original.get(name) for name in fields} | {"sticker_items": []}}


def dm_channel(channel_id: int, recipient: dict[str, Any]) -> dict[str, Any]:
    """A DM channel as POST /users/@me/channels returns it."""
    return {"id": str(channel_id), "type": DM, "last_message_id": None, "flags": 0, "recipients": [recipient]}


def message(message_id: int, channel_id: int, author: dict[str, Any], content: str, *,
            guild_id: int | None = None, author_member: dict[str, Any] | None = None,
            mentions: list[dict[str, Any]] | None = None, referenced: dict[str, Any] | None = None,
            message_type: int = DEFAULT, embeds: list[dict[str, Any]] | None = None,
            components: list[dict[str, Any]] | None = None, attachments: list[dict[str, Any]] | None = None,
            webhook_id: int | None = None, flags: int = 0, poll_data: dict[str, Any] | None = None,
            forwarded: dict[str, Any] | None = None) -> dict[str, Any]:
    """A message object as MESSAGE_CREATE and POST /channels/{id}/messages carry it."""
    data: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": embeds or [],
        "pinned": False,
        "type": REPLY if referenced is not None and message_type == DEFAULT else message_type,
        "flags": flags,
        "components": components or [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if author_member is not None:
        data["member"] = author_member
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if poll_data is not None:
        data["poll"] = poll_data
    if forwarded is not None:
        # A forward has no text of its own: what was forwarded is in the snapshot.
        data["message_reference"] = {"type": REFERENCE_FORWARD, "message_id": forwarded["id"],
                                     "channel_id": forwarded["channel_id"], "guild_id": forwarded.get("guild_id")}
        data["message_snapshots"] = [snapshot(forwarded)]
    if referenced is not None:
        data["message_reference"] = {"type": 0, "message_id": referenced["id"], "channel_id": str(channel_id),
                                     "guild_id": str(guild_id) if guild_id else None, "fail_if_not_exists": True}
        data["referenced_message"] = {k: v for k, v in referenced.items() if k != "referenced_message"}
    return data
