"""Reads a Slack workspace export (zip or folder) one channel-day file at a time, yielding MessageEvents.

The layout, as Slack documents it: `channels.json` (public channels), `groups.json` (private), `mpims.json`
(group DMs), `dms.json` (DMs), `users.json`, and a folder per conversation (named after the channel, or the DM's
id) holding one `YYYY-MM-DD.json` per day: a list of message objects (`type`, `subtype`, `user`, `text`, `ts`,
`thread_ts`, `parent_user_id`, `edited`, `bot_id`, `user_profile`, `team`...).
"""

from __future__ import annotations

import functools
import html
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.audit.common import (
    BEFORE_SINCE,
    ExportFileError,
    ExportFormatError,
    ExportItem,
    ExportProblem,
    ExportTree,
    ExportUnit,
    Ignored,
)
from bot.models import MessageEvent, Platform
from bot.slack.events import posted_text
from bot.slack.identity import identify, posted_at

log = logging.getLogger(__name__)

KIND = "Slack export"
MARKER = "channels.json"
_CONVERSATION_FILES = (("channels.json", "name", False), ("groups.json", "name", False),
                       ("mpims.json", "name", True), ("dms.json", "id", True))
# Direct and group-DM folders when the metadata file naming them is missing: a DM id, or Slack's mpdm- name.
_DM_FOLDER = re.compile(r"^(?:D[A-Z0-9]{6,}|mpdm-.+)$")
_DAY_FILE = re.compile(r"^(?P<folder>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\.json$")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# Subtypes that are still a member's own words; the rest are joins, topic changes, bot posts and the like.
_MEMBER_SUBTYPES = {None, "thread_broadcast", "file_share", "me_message"}


@dataclass(frozen=True, slots=True)
class Conversation:
    """A channel, private channel or DM as the export names it."""

    id: str
    name: str
    direct: bool = False


def looks_like_slack_export(tree: ExportTree) -> bool:
    """True when the tree holds Slack's top-level metadata files."""
    return MARKER in tree or "users.json" in tree


class SlackExport:
    """A Slack workspace export; `units()` lists one unit per channel-day file, day by day across channels."""

    kind = KIND

    def __init__(self, tree: ExportTree, *, community_id: str | None = None, since: datetime | None = None) -> None:
        self.tree = tree
        self.since = since
        self.problems: list[ExportProblem] = []
        self.excluded: set[str] = set()  # direct and group-DM conversations left out
        self.conversations = self._conversations()
        self.user_names, teams = self._users()
        found = community_id or (teams.most_common(1)[0][0] if teams else self._team_from_messages())
        if not found:
            raise ExportFormatError(f"{tree.path}: cannot tell which Slack workspace this export is from (no "
                                    "team_id in users.json or team in the messages); pass --community T0123ABCD "
                                    "with the workspace id")
        self.community_id: str = found
        # Thread parents' authors (channel -> ts -> user): a reply's target when the reply lacks parent_user_id.
        self._parents: dict[str, dict[str, str]] = {}

    def close(self) -> None:
        """Release the zip file, if any."""
        self.tree.close()

    def _load_json(self, name: str) -> Any:
        try:
            return json.loads(self.tree.read_bytes(name))
        except json.JSONDecodeError as exc:
            raise ExportFileError(name, f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") \
                from None
        except UnicodeDecodeError:
            raise ExportFileError(name, "is not UTF-8 text") from None

    def _metadata_list(self, name: str) -> list[dict[str, Any]]:
        """A top-level list file; a broken one is reported and treated as empty (the folders are still read)."""
        if name not in self.tree:
            return []
        try:
            data = self._load_json(name)
        except ExportFileError as exc:
            self.problems.append(ExportProblem(exc.file, exc.reason))
            return []
        if not isinstance(data, list):
            self.problems.append(ExportProblem(name, f"expected a list, found {type(data).__name__}"))
            return []
        return [entry for entry in data if isinstance(entry, dict)]

    def _conversations(self) -> dict[str, Conversation]:
        folders: dict[str, Conversation] = {}
        for file, folder_key, direct in _CONVERSATION_FILES:
            for entry in self._metadata_list(file):
                folder, conversation_id = entry.get(folder_key), entry.get("id")
                if isinstance(folder, str) and isinstance(conversation_id, str):
                    entry_name = entry.get("name")
                    name = entry_name if isinstance(entry_name, str) else conversation_id
                    folders[folder] = Conversation(conversation_id, name, direct)
        return folders

    def _is_direct(self, folder: str) -> bool:
        known = self.conversations.get(folder)
        return known.direct if known is not None else bool(_DM_FOLDER.match(folder))

    def _users(self) -> tuple[dict[str, str], Counter[str]]:
        names: dict[str, str] = {}
        teams: Counter[str] = Counter()
        for entry in self._metadata_list("users.json"):
            user_id = entry.get("id")
            if not isinstance(user_id, str):
                continue
            names[user_id] = _display_name(entry.get("profile"), entry.get("real_name"), entry.get("name"), user_id)
            if isinstance(entry.get("team_id"), str) and not entry.get("is_bot"):
                teams[entry["team_id"]] += 1
        return names, teams

    def _team_from_messages(self) -> str | None:
        """The workspace id from the first messages that carry one (exports without users.json)."""
        for name in self._day_files()[:20]:
            try:
                data = self._load_json(name)
            except ExportFileError:
                continue
            for message in data if isinstance(data, list) else []:
                if isinstance(message, dict) and isinstance(message.get("team"), str):
                    return str(message["team"])
        return None

    def _day_files(self) -> list[str]:
        """Day files in time order across channels (day, then channel), as the messages were posted: escalation
        counts an author's hostile messages toward one member up to each one's time, across channels."""
        names = [name for name in self.tree.names() if _DAY_FILE.match(name)]
        return sorted(names, key=lambda name: (name.rsplit("/", 1)[1], name))

    def units(self) -> list[ExportUnit]:
        """One unit per channel-day file, day by day; days wholly before `--since` are left out unopened."""
        # A day file is named by its UTC date in practice, but allow a day's slack for exports cut in local time.
        first_day = (self.since - timedelta(days=1)).date() if self.since else date.min
        units = []
        for name in self._day_files():
            match = _DAY_FILE.match(name)
            assert match is not None
            try:
                day = date.fromisoformat(match["day"])
            except ValueError:
                self.problems.append(ExportProblem(name, "is named like a day file but is not a real date"))
                continue
            if day < first_day:
                continue
            if self._is_direct(match["folder"]):
                # The live bots moderate channels, not private conversations; an audit reads no more than they would.
                self.excluded.add(match["folder"])
                continue
            units.append(ExportUnit(name, self.tree.size(name), functools.partial(self.read_day, name)))
        return units

    def read_day(self, name: str) -> Iterator[ExportItem]:
        """The items of one channel-day file; the whole file is parsed first, so a broken one yields nothing."""
        match = _DAY_FILE.match(name)
        if match is None:
            raise ExportFileError(name, "is not a channel day file (FOLDER/YYYY-MM-DD.json)")
        folder = match["folder"]
        conversation = self.conversations.get(folder) or Conversation(folder, folder)
        data = self._load_json(name)
        if not isinstance(data, list):
            raise ExportFileError(name, f"expected a list of messages, found a JSON {type(data).__name__}")
        for index, message in enumerate(data):
            yield self._item(name, index, message, conversation)

    def _item(self, file: str, index: int, message: Any, conversation: Conversation) -> ExportItem:
        if not isinstance(message, dict):
            return ExportProblem(file, f"message {index + 1} is a JSON {type(message).__name__}, not an object",
                                 whole_file=False)
        if message.get("type", "message") != "message":
            return Ignored("not a message")
        ts = message.get("ts")
        created_at = posted_at(ts)
        if created_at is None or not isinstance(ts, str):
            return ExportProblem(file, f"message {index + 1} has no valid 'ts' (got {ts!r})", whole_file=False)
        subtype = message.get("subtype")
        if subtype not in _MEMBER_SUBTYPES or message.get("bot_id"):
            return Ignored("bot or system message")
        user, text = message.get("user"), message.get("text", "")
        if not isinstance(user, str) or not user:
            return ExportProblem(file, f"message {index + 1} (ts {ts}) has no 'user'", whole_file=False)
        if not isinstance(text, str):
            return ExportProblem(file, f"message {index + 1} (ts {ts}) has a 'text' that is not a string",
                                 whole_file=False)
        text = posted_text(message)  # shared messages and file titles too, as the live app reads them
        identity = identify(conversation.id, message)
        assert identity is not None  # its channel, user and ts were checked above
        parents = self._parents.setdefault(conversation.id, {})
        if message.get("thread_ts") == ts or message.get("reply_count"):
            parents[ts] = user
        if self.since is not None and created_at < self.since:
            return Ignored(BEFORE_SINCE)
        if not text.strip():
            return Ignored("no text")
        targets = list(_MENTION.findall(text))
        if identity.thread_ts:
            parent = message.get("parent_user_id")
            parent = parent if isinstance(parent, str) else parents.get(identity.thread_ts)
            if parent:
                targets.append(parent)
        return MessageEvent(
            # SLACK, not AUDIT: the store's idempotency key is (platform, community, message id, revision), so the
            # same platform, workspace id, message id and revision as the live Slack app (bot/slack/identity.py) means
            # one incident per message whichever of the two sees it first, and the committee's /incidents in Slack
            # lists what the audit found.
            platform=Platform.SLACK,
            community_id=self.community_id,
            channel_id=conversation.id,
            message_id=identity.message_id,
            author_id=identity.author_id,
            author_name=self.user_names.get(user) or _display_name(message.get("user_profile"), None, None, user),
            # Slack escapes &, < and > in message text; the scanner should see what members saw.
            text=html.unescape(text),
            created_at=created_at,
            # An export keeps only the last version of an edited message, stamped with its `edited.ts`: the same
            # revision number the live app gave that edit, so an edit it already handled is not recorded twice.
            revision=identity.revision,
            is_edit=identity.is_edit,
            targets=tuple(dict.fromkeys(t for t in targets if t != user)),
            channel_name=conversation.name,
        )


def _display_name(profile: Any, real_name: Any, name: Any, fallback: str) -> str:
    if isinstance(profile, dict):
        for key in ("display_name", "real_name", "name"):
            if isinstance(profile.get(key), str) and profile[key].strip():
                return str(profile[key])
    for value in (real_name, name):
        if isinstance(value, str) and value.strip():
            return value
    return fallback


def open_slack_export(path: Path, *, community_id: str | None = None, since: datetime | None = None) -> SlackExport:
    """Open a Slack export zip or folder; raises ExportFormatError when it is not one."""
    tree = ExportTree(path, MARKER)
    if not looks_like_slack_export(tree):
        tree.close()
        raise ExportFormatError(f"{path}: not a Slack export (no channels.json or users.json at its top level)")
    try:
        return SlackExport(tree, community_id=community_id, since=since)
    except BaseException:
        tree.close()
        raise
