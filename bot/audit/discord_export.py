"""Reads DiscordChatExporter JSON exports (one file per channel, or a folder of them), streaming message by message.

The shape, as DiscordChatExporter's JsonMessageWriter writes it: `{"guild": {"id", "name", ...}, "channel": {"id",
"type", "categoryId", "category", "name", "topic"}, "dateRange": {...}, "exportedAt", "messages": [{"id", "type",
"timestamp", "timestampEdited", "content", "author": {"id", "name", "nickname", "isBot", ...}, "mentions": [users],
"reference": {"messageId", "channelId", "guildId"}, ...}], "messageCount"}`. A channel file can hold years of
history, so messages are parsed one at a time (ijson) rather than loading the file.
"""

from __future__ import annotations

import functools
import heapq
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import ijson

from bot.audit.common import (
    BEFORE_SINCE,
    READ_ERRORS,
    ExportFileError,
    ExportFormatError,
    ExportItem,
    ExportProblem,
    ExportUnit,
    Ignored,
)
from bot.discord.identity import identify
from bot.models import MessageEvent, Platform
from bot.posted import file_name_words, gather
from bot.texts import plural

log = logging.getLogger(__name__)

KIND = "DiscordChatExporter export"
# Members' own posts; the rest (joins, pins, calls, thread-created notices) are Discord's system messages.
_MEMBER_TYPES = {"Default", "Reply"}
# Channel files read side by side (one open file each) when merging a folder in time order.
_MERGE_LIMIT = 256
# DiscordChatExporter files direct messages under a pseudo-guild with id 0.
_DM_GUILD_ID = "0"


class DiscordExport:
    """One DiscordChatExporter JSON file, or a folder of them (read recursively, one file at a time)."""

    kind = KIND

    def __init__(self, path: Path, *, community_id: str | None = None, since: datetime | None = None) -> None:
        self.path = path
        self.community_override = community_id
        self.since = since
        self.problems: list[ExportProblem] = []
        if path.is_dir():
            self.files = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not self.files:
                raise ExportFormatError(f"{path}: no .json files here (expected DiscordChatExporter JSON exports "
                                        "or a Slack export with channels.json)")
        else:
            self.files = [path]
        self._positions: dict[Path, int] = {}
        self.excluded: set[str] = set()  # direct-message channel files left out
        self.community_names: dict[str, str] = {}  # community id -> the server's name, as the export gives it

    def close(self) -> None:
        """Nothing is held open between units."""

    def _label(self, file: Path) -> str:
        return file.relative_to(self.path).as_posix() if self.path.is_dir() else file.name

    def units(self) -> list[ExportUnit]:
        """One unit per channel file, or one unit merging a folder's channels in time order.

        Merged, an author's hostile messages toward one member in several channels reach the escalation count in
        the order they were posted, as they would have live. Past _MERGE_LIMIT files (one open file each) the
        channels are read one after another instead.
        """
        sizes = {f: f.stat().st_size for f in self.files}
        if 1 < len(self.files) <= _MERGE_LIMIT:
            label = f"{self._label(self.files[0])} and {plural(len(self.files) - 1, 'more channel file')}"
            return [ExportUnit(label, sum(sizes.values()), self.read_merged,
                               lambda: sum(self._positions.values()), files=len(self.files))]
        return [ExportUnit(self._label(f), sizes[f], functools.partial(self.read_file, f),
                           functools.partial(self._position, f)) for f in self.files]

    def _position(self, file: Path) -> int:
        """How far into `file` reading has gone (0 before it starts)."""
        return self._positions.get(file, 0)

    def read_merged(self) -> Iterator[ExportItem]:
        """Every file's items merged by message time; a broken file becomes an ExportProblem and the rest go on."""
        streams = [self._timed(index, file) for index, file in enumerate(self.files)]
        for _moment, _index, item in heapq.merge(*streams, key=lambda entry: (entry[0], entry[1])):
            yield item

    def _timed(self, index: int, file: Path) -> Iterator[tuple[datetime, int, ExportItem]]:
        last = datetime.min.replace(tzinfo=UTC)
        try:
            for item in self.read_file(file):
                if isinstance(item, MessageEvent):
                    last = item.created_at
                yield last, index, item
        except ExportFileError as exc:
            yield last, index, ExportProblem(exc.file, exc.reason)

    def read_file(self, file: Path) -> Iterator[ExportItem]:
        """The items of one channel file; a break in the JSON ends the file with ExportFileError."""
        label = self._label(file)
        self._positions[file] = 0
        try:
            with file.open("rb") as stream:
                guild, channel = _header(stream, label)
                if guild["id"] == _DM_GUILD_ID or str(channel.get("type", "")).startswith("Direct"):
                    # The live bot moderates server channels, not DMs; an audit reads no more than it would.
                    self.excluded.add(label)
                    return
                community_id = self.community_override or guild["id"]
                if guild.get("name"):
                    self.community_names[community_id] = str(guild["name"])
                stream.seek(0)
                # Reply targets: the author of each message seen so far in this channel (ids only).
                authors: dict[str, str] = {}
                count = 0
                try:
                    for index, message in enumerate(ijson.items(stream, "messages.item", use_float=True)):
                        count = index + 1
                        yield self._item(label, index, message, guild["id"], community_id, channel, authors)
                        if index % 256 == 0:
                            self._positions[file] = stream.tell()
                except ijson.JSONError as exc:
                    done = f"after {count} messages" if count else "before the first message"
                    raise ExportFileError(label, f"the JSON breaks {done} ({_one_line(exc)}); the messages "
                                                 "before it were read") from None
        except READ_ERRORS as exc:
            raise ExportFileError(label, f"cannot be read ({exc})") from None

    def _item(self, file: str, index: int, message: Any, guild_id: str, community_id: str,
              channel: dict[str, Any], authors: dict[str, str]) -> ExportItem:
        where = f"message {index + 1}"
        if not isinstance(message, dict):
            return ExportProblem(file, f"{where} is a JSON {type(message).__name__}, not an object", whole_file=False)
        message_id, author = message.get("id"), message.get("author")
        if not isinstance(message_id, str) or not message_id:
            return ExportProblem(file, f"{where} has no 'id'", whole_file=False)
        where = f"message {index + 1} (id {message_id})"
        if not isinstance(author, dict) or not isinstance(author.get("id"), str):
            return ExportProblem(file, f"{where} has no 'author' with an 'id'", whole_file=False)
        if not author.get("isBot"):
            authors[message_id] = author["id"]  # replies to bots target no one, as live
        created_at = _parse_time(message.get("timestamp"))
        if created_at is None:
            return ExportProblem(file, f"{where} has no valid 'timestamp' (got {message.get('timestamp')!r})",
                                 whole_file=False)
        if message.get("type", "Default") not in _MEMBER_TYPES or author.get("isBot"):
            return Ignored("bot or system message")
        content = message.get("content", "")
        if not isinstance(content, str):
            return ExportProblem(file, f"{where} has a 'content' that is not a string", whole_file=False)
        attachments = message.get("attachments")
        names = [file_name_words(str(a.get("fileName") or "")) for a in attachments if isinstance(a, dict)] \
            if isinstance(attachments, list) else []
        # Attachment names are read live too (cogs/moderation.py posted_text); the export keeps no alt text.
        content = gather([content, *names])
        if self.since is not None and created_at < self.since:
            return Ignored(BEFORE_SINCE)
        if not content.strip():
            return Ignored("no text")
        mentions = message.get("mentions")
        targets = [m["id"] for m in mentions
                   if isinstance(m, dict) and isinstance(m.get("id"), str) and not m.get("isBot")] \
            if isinstance(mentions, list) else []
        reference = message.get("reference")
        if isinstance(reference, dict) and isinstance(reference.get("messageId"), str):
            replied_to = authors.get(reference["messageId"])
            if replied_to:
                targets.append(replied_to)
        edited_at = _parse_time(message.get("timestampEdited"))
        identity = identify(guild_id, channel["id"], message_id, author["id"], created_at, edited_at,
                            _thread_parent(channel))
        return MessageEvent(
            # DISCORD, not AUDIT: the store's idempotency key is (platform, community, message id, revision), so the
            # guild id and snowflake the live bot would use make one incident per message whichever sees it first,
            # and the committee's /incidents in the guild lists what the audit found.
            platform=Platform.DISCORD,
            community_id=community_id,
            channel_id=identity.channel_id,
            message_id=identity.message_id,
            author_id=identity.author_id,
            author_name=_author_name(author),
            text=content,
            created_at=created_at,
            # The export holds only the last version of an edited message, with its edit time: numbered as the live
            # bot numbers edits (bot/discord/identity.py), so an edit it already handled is not recorded twice.
            revision=identity.revision,
            is_edit=identity.is_edit,
            targets=tuple(dict.fromkeys(t for t in targets if t != author["id"])),
            channel_name=str(channel.get("name") or identity.channel_id),
            permalink=identity.permalink,
            parent_channel_id=identity.parent_channel_id,
        )


def _thread_parent(channel: dict[str, Any]) -> str:
    """The channel a thread hangs off, or "" for a channel that is not a thread.

    DiscordChatExporter's schema predates threads: for a thread, "categoryId" holds the parent channel (for a plain
    channel it is the category, which is no channel at all, hence the check on the type, e.g. GuildPublicThread).
    """
    parent = channel.get("categoryId")
    if str(channel.get("type", "")).endswith("Thread") and isinstance(parent, str):
        return parent
    return ""


def _header(stream: IO[bytes], label: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The guild and channel objects at the top of the file (parsing stops as soon as each is found)."""
    found: dict[str, dict[str, Any]] = {}
    for key in ("guild", "channel"):
        stream.seek(0)
        try:
            value = next(ijson.items(stream, key, use_float=True), None)
        except ijson.JSONError as exc:
            raise ExportFileError(label, f"is not valid JSON ({_one_line(exc)})") from None
        if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value["id"]:
            raise ExportFileError(label, f"is not a DiscordChatExporter JSON export: no {key!r} object with an "
                                         "'id' at the top level (export with --format Json)")
        found[key] = value
    return found["guild"], found["channel"]


def _one_line(exc: Exception) -> str:
    """ijson's parse errors draw a caret under the text over several lines; the first line says what broke."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _author_name(author: dict[str, Any]) -> str:
    for key in ("nickname", "name"):
        if isinstance(author.get(key), str) and author[key].strip():
            return str(author[key])
    return str(author["id"])


def open_discord_export(path: Path, *, community_id: str | None = None,
                        since: datetime | None = None) -> DiscordExport:
    """Open a DiscordChatExporter JSON file or a folder of them."""
    return DiscordExport(path, community_id=community_id, since=since)
