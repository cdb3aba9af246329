"""Builders of chat exports in the real formats (Slack workspace export, DiscordChatExporter JSON) for the audit tests.

The conversations are written for these tests: a student society's ordinary chat with a few breaching messages.
"""

from __future__ import annotations

import json
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.audit import ExportFileError, ExportProblem, Ignored
from bot.models import MessageEvent

TEAM = "T0LEICSOC"
USERS = {"U01PRIYA": "Priya Shah", "U02TOM": "Tom Walsh", "U03AISHA": "Aisha Okafor", "U04CAL": "Callum Reid"}

# Breaching messages, each expected to become exactly one incident.
BREACH_PHONE = "text Sam on 07700 900382 if you need a lift"  # his, not the poster's own (5.5.5)
BREACH_INSULT = "<@U02TOM> honestly you're a worthless idiot"
BREACH_REPLY = "Priya you are such a pathetic loser, everyone laughs at you"
BREACH_EDITED = "my mate's number is 07700 900217, give him a bell"
CLEAN = [
    "Is anyone going to the pub quiz on Thursday?",
    "Rehearsal is at 7pm in Percy Gee, don't be late!",
    "I'll bring snacks for the bake sale",
    "Thanks <@U01PRIYA>, that was class",
    "running 10 mins late, start without me",
    "Minutes from the AGM are on the shared drive",
]


def slack_ts(moment: datetime, sequence: int = 0) -> str:
    """A Slack message timestamp ("seconds.micro") for a moment."""
    return f"{int(moment.timestamp())}.{sequence:06d}"


def _profile(user: str) -> dict[str, Any]:
    real = USERS[user]
    return {"avatar_hash": "g0a1b2c3d4e5", "image_72": "https://secure.gravatar.com/avatar/x.jpg",
            "first_name": real.split()[0], "real_name": real, "display_name": real.split()[0].lower(),
            "team": TEAM, "name": real.split()[0].lower(), "is_restricted": False, "is_ultra_restricted": False}


def slack_message(user: str, text: str, moment: datetime, sequence: int = 0, **extra: Any) -> dict[str, Any]:
    """A member's message as Slack exports it."""
    message = {
        "client_msg_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{user}{text}{moment}{sequence}")),
        "type": "message", "text": text, "user": user, "ts": slack_ts(moment, sequence),
        "blocks": [{"type": "rich_text", "block_id": "b1", "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}]}],
        "team": TEAM, "user_team": TEAM, "source_team": TEAM, "user_profile": _profile(user),
    }
    message.update(extra)
    return message


@dataclass
class SlackChannel:
    """A channel of the export: id, name and its messages grouped by day (YYYY-MM-DD)."""

    id: str
    name: str
    days: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    private: bool = False


def write_slack_export(root: Path, channels: list[SlackChannel], *, users_json: Any = None) -> Path:
    """Write the export as a folder at `root` (as Slack's zip unpacks) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    users = users_json if users_json is not None else [
        {"id": uid, "team_id": TEAM, "name": real.split()[0].lower(), "deleted": False, "color": "9f69e7",
         "real_name": real, "tz": "Europe/London", "tz_label": "Greenwich Mean Time", "tz_offset": 0,
         "profile": _profile(uid), "is_admin": False, "is_owner": False, "is_bot": False, "is_app_user": False,
         "updated": 1693526400} for uid, real in USERS.items()]
    (root / "users.json").write_text(json.dumps(users, indent=4), encoding="utf-8")
    public, private = [], []
    for channel in channels:
        entry = {"id": channel.id, "name": channel.name, "created": 1693526400, "creator": "U01PRIYA",
                 "is_archived": False, "is_general": channel.name == "general", "members": list(USERS),
                 "topic": {"value": "", "creator": "", "last_set": 0},
                 "purpose": {"value": f"The {channel.name} channel", "creator": "U01PRIYA", "last_set": 1693526400}}
        (private if channel.private else public).append(entry)
        folder = root / channel.name
        folder.mkdir(exist_ok=True)
        for day, messages in channel.days.items():
            (folder / f"{day}.json").write_text(json.dumps(messages, indent=4), encoding="utf-8")
    (root / "channels.json").write_text(json.dumps(public, indent=4), encoding="utf-8")
    (root / "groups.json").write_text(json.dumps(private, indent=4), encoding="utf-8")
    (root / "integration_logs.json").write_text(json.dumps({"logs": []}), encoding="utf-8")
    return root


def zip_folder(folder: Path, target: Path) -> Path:
    """Zip an export folder the way Slack delivers it (files at the top level, deflated)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
    return target


def corrupt_zip_member(archive: Path, member: str) -> None:
    """Flip bytes inside one member's compressed data, so reading it fails (bad CRC or deflate error)."""
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(member)
    data = bytearray(archive.read_bytes())
    name_length = int.from_bytes(data[info.header_offset + 26: info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28: info.header_offset + 30], "little")
    start = info.header_offset + 30 + name_length + extra_length
    for offset in range(start + 2, start + min(info.compress_size, 40)):
        data[offset] ^= 0x5A
    archive.write_bytes(bytes(data))


def society_slack_channels(day1: datetime) -> list[SlackChannel]:
    """Two channels over three days: ordinary chat, a thread, a bot post, a join notice and four breaches."""
    day2, day3 = day1 + timedelta(days=1), day1 + timedelta(days=2)
    general = SlackChannel("C01GENERAL", "general")
    parent = slack_message("U01PRIYA", "Who's coming to the social on Friday? Reply here", day1, 1,
                           thread_ts=slack_ts(day1, 1), reply_count=2, reply_users_count=2,
                           latest_reply=slack_ts(day1 + timedelta(minutes=5), 3),
                           reply_users=["U03AISHA", "U04CAL"],
                           replies=[{"user": "U03AISHA", "ts": slack_ts(day1 + timedelta(minutes=2), 2)},
                                    {"user": "U04CAL", "ts": slack_ts(day1 + timedelta(minutes=5), 3)}],
                           is_locked=False, subscribed=False)
    general.days[day1.date().isoformat()] = [
        {"type": "message", "subtype": "channel_join", "ts": slack_ts(day1, 0), "user": "U04CAL",
         "text": "<@U04CAL> has joined the channel"},
        parent,
        slack_message("U03AISHA", CLEAN[0], day1 + timedelta(minutes=2), 2, thread_ts=slack_ts(day1, 1),
                      parent_user_id="U01PRIYA"),
        slack_message("U04CAL", BREACH_REPLY, day1 + timedelta(minutes=5), 3, thread_ts=slack_ts(day1, 1),
                      parent_user_id="U01PRIYA"),
        slack_message("U02TOM", CLEAN[1], day1 + timedelta(minutes=9), 4),
    ]
    general.days[day2.date().isoformat()] = [
        slack_message("U03AISHA", BREACH_INSULT, day2, 1),
        slack_message("U02TOM", CLEAN[2], day2 + timedelta(minutes=1), 2),
        {"type": "message", "subtype": "bot_message", "text": "Reminder: you are a worthless idiot if you forget subs",
         "ts": slack_ts(day2 + timedelta(minutes=3), 3), "bot_id": "B01REMIND", "username": "reminders"},
    ]
    committee = SlackChannel("G01COMMITTEE", "committee", private=True)
    committee.days[day2.date().isoformat()] = [
        slack_message("U03AISHA", CLEAN[3], day2 + timedelta(hours=2), 1),
        slack_message("U02TOM", BREACH_PHONE, day2 + timedelta(hours=3), 2),
    ]
    committee.days[day3.date().isoformat()] = [
        slack_message("U04CAL", BREACH_EDITED, day3, 1,
                      edited={"user": "U04CAL", "ts": slack_ts(day3 + timedelta(minutes=1), 0)}),
        slack_message("U03AISHA", CLEAN[4], day3 + timedelta(minutes=4), 2),
        slack_message("U01PRIYA", CLEAN[5], day3 + timedelta(minutes=8), 3),
    ]
    return [general, committee]


# DiscordChatExporter ------------------------------------------------------------------------------------------

GUILD = {"id": "880011223344556677", "name": "UoL Film Society",
         "iconUrl": "https://cdn.discordapp.com/icons/880011223344556677/a.png"}
DISCORD_USERS = {"900000000000000001": "priya", "900000000000000002": "tom", "900000000000000003": "aisha",
                 "900000000000000099": "Carl-bot"}


def dce_user(user_id: str) -> dict[str, Any]:
    """An author or mention as DiscordChatExporter writes it."""
    name = DISCORD_USERS[user_id]
    return {"id": user_id, "name": name, "discriminator": "0000", "nickname": name.capitalize(),
            "color": None, "isBot": name == "Carl-bot",
            "roles": [{"id": "880000000000000010", "name": "Member", "color": None, "position": 1}],
            "avatarUrl": f"https://cdn.discordapp.com/embed/avatars/{int(user_id) % 5}.png"}


def dce_message(message_id: str, author: str, content: str, moment: datetime, *, kind: str = "Default",
                mentions: tuple[str, ...] = (), reply_to: str | None = None,
                edited: datetime | None = None) -> dict[str, Any]:
    """A message as DiscordChatExporter's JsonMessageWriter writes it."""
    message: dict[str, Any] = {
        "id": message_id, "type": kind, "timestamp": moment.isoformat(timespec="milliseconds"),
        "timestampEdited": edited.isoformat(timespec="milliseconds") if edited else None,
        "callEndedTimestamp": None, "isPinned": False, "content": content, "author": dce_user(author),
        "attachments": [], "components": [], "embeds": [], "stickers": [], "reactions": [],
        "mentions": [dce_user(m) for m in mentions], "inlineEmojis": [],
    }
    if reply_to:
        message["reference"] = {"type": "Default", "messageId": reply_to, "channelId": "880000000000000100",
                                "guildId": GUILD["id"]}
    return message


def write_dce_file(path: Path, messages: list[dict[str, Any]], *, channel_id: str = "880000000000000100",
                   channel_name: str = "general") -> Path:
    """One channel's export file, indented as DiscordChatExporter writes it."""
    document = {
        "guild": GUILD,
        "channel": {"id": channel_id, "type": "GuildTextChat", "categoryId": "880000000000000001",
                    "category": "Text Channels", "name": channel_name, "topic": "Film nights and chat"},
        "dateRange": {"after": None, "before": None},
        "exportedAt": datetime(2026, 11, 1, 12, tzinfo=UTC).isoformat(timespec="milliseconds"),
        "messages": messages,
        "messageCount": len(messages),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def society_discord_messages(day1: datetime) -> list[dict[str, Any]]:
    """A film society's channel: ordinary chat, a join notice, a bot post, a reply and three breaches."""
    minute = timedelta(minutes=1)
    return [
        dce_message("1100000000000000001", "900000000000000002", "", day1, kind="GuildMemberJoin"),
        dce_message("1100000000000000002", "900000000000000001", "Film night is Wednesday, we're watching Alien",
                    day1 + minute),
        dce_message("1100000000000000003", "900000000000000002", "tom here, count me in", day1 + 2 * minute),
        dce_message("1100000000000000004", "900000000000000003", "Priya you are such a pathetic loser, everyone "
                    "laughs at you", day1 + 3 * minute, kind="Reply", reply_to="1100000000000000002"),
        dce_message("1100000000000000005", "900000000000000099", "you are a worthless idiot (bot test)",
                    day1 + 4 * minute),
        dce_message("1100000000000000006", "900000000000000002", "@priya honestly you're a worthless idiot",
                    day1 + timedelta(days=1), mentions=("900000000000000001",)),
        dce_message("1100000000000000007", "900000000000000001", "Snacks are on me this week",
                    day1 + timedelta(days=1, minutes=3)),
        dce_message("1100000000000000008", "900000000000000003", BREACH_PHONE,
                    day1 + timedelta(days=2), edited=day1 + timedelta(days=2, minutes=1)),
    ]


def read_all(reader: Any) -> tuple[list[MessageEvent], list[Ignored], list[ExportProblem]]:
    """Every event, ignored item and problem an export reader yields, reading past unreadable files."""
    events: list[MessageEvent] = []
    ignored: list[Ignored] = []
    problems: list[ExportProblem] = list(reader.problems)
    for unit in reader.units():
        try:
            for item in unit.read():
                if isinstance(item, MessageEvent):
                    events.append(item)
                elif isinstance(item, Ignored):
                    ignored.append(item)
                else:
                    problems.append(item)
        except ExportFileError as exc:
            problems.append(ExportProblem(exc.file, exc.reason))
    return events, ignored, problems
