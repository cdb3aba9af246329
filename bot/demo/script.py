"""Loads and checks the demo's scripted week (`week.yaml`): members, channels and time-ordered steps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.errors import InputError, yaml_problem
from bot.models import ReviewAction

STEP_KINDS = ("heading", "say", "edit", "mistake", "review")
_MENTION = re.compile(r"@(\w+)")


class DemoScriptError(InputError):
    """The demo script is malformed: the message names the step and what is wrong."""


@dataclass(frozen=True, slots=True)
class Member:
    """A (fictional) member of the demo society."""

    key: str
    name: str
    role: str = ""
    committee: bool = False
    dms_closed: bool = False

    @property
    def user_id(self) -> str:
        """The platform user id the core sees."""
        return f"u-{self.key}"


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel of the demo society; `under18` channels are read by prospective students (clause 5.2)."""

    key: str
    name: str
    under18: bool = False
    topic: str = ""


@dataclass(frozen=True, slots=True)
class Step:
    """One thing that happens in the week; which fields matter depends on `kind` (see week.yaml's header)."""

    kind: str
    number: int
    day: int = 0
    at: time = time(0, 0)
    id: str = ""
    by: str = ""
    channel: str = ""
    text: str = ""
    reply_to: str = ""
    target: str = ""  # edit / mistake / review: the `id` of the step posting the message concerned
    action: str = ""
    note: str = ""

    def when(self, start: datetime) -> datetime:
        """The moment of this step in a week that starts at `start` (midnight of day 0)."""
        return start + timedelta(days=self.day, hours=self.at.hour, minutes=self.at.minute)


@dataclass(frozen=True, slots=True)
class DemoScript:
    """The whole scripted week."""

    community_id: str
    name: str
    alert_channel: str
    welfare_contact: str
    welfare_alerts: bool
    channels: dict[str, Channel]
    members: dict[str, Member]
    steps: tuple[Step, ...]

    def mentions(self, text: str) -> tuple[Member, ...]:
        """The members "@Name"-mentioned in a message, in order."""
        by_name = {m.name.lower(): m for m in self.members.values()}
        found = [by_name[n.lower()] for n in _MENTION.findall(text) if n.lower() in by_name]
        return tuple(dict.fromkeys(found))


def bundled_script_path() -> Path:
    """The week that ships with nudgebot."""
    return Path(str(resources.files("bot.demo").joinpath("week.yaml")))


def load_script(path: Path | None = None) -> DemoScript:
    """Read and check a demo script (default: the bundled week); errors name the step at fault."""
    path = path or bundled_script_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DemoScriptError(f"{path}: cannot read the demo script ({yaml_problem(exc, path)})") from None
    except OSError as exc:
        raise DemoScriptError(f"{path}: cannot read the demo script ({exc})") from None
    if not isinstance(data, dict):
        raise DemoScriptError(f"{path}: expected a mapping with community, channels, members and script")
    community = data.get("community")
    if not isinstance(community, dict):
        raise DemoScriptError(f"{path}: 'community' must be a mapping (id, name, alert_channel, ...)")
    channels = {key: Channel(key=key, name=str(c.get("name", key)), under18=bool(c.get("under18", False)),
                             topic=str(c.get("topic", "")))
                for key, c in _mapping(data, "channels", path).items()}
    members = {key: Member(key=key, name=str(m.get("name", key)), role=str(m.get("role", "")),
                           committee=bool(m.get("committee", False)), dms_closed=bool(m.get("dms_closed", False)))
               for key, m in _mapping(data, "members", path).items()}
    raw_steps = data.get("script")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise DemoScriptError(f"{path}: 'script' must be a non-empty list of steps")
    steps = tuple(_step(number, raw, channels, members, path) for number, raw in enumerate(raw_steps, start=1))
    _check_order_and_references(steps, path)
    return DemoScript(
        community_id=str(community.get("id", "demo")), name=str(community.get("name", "Demo society")),
        alert_channel=str(community.get("alert_channel", "committee-alerts")),
        welfare_contact=str(community.get("welfare_contact", "")),
        welfare_alerts=bool(community.get("welfare_alerts", False)),
        channels=channels, members=members, steps=steps)


def _mapping(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise DemoScriptError(f"{path}: '{key}' must be a mapping of names to settings")
    return value


def _step(number: int, raw: Any, channels: dict[str, Channel], members: dict[str, Member], path: Path) -> Step:
    where = f"{path}: step {number}"
    if not isinstance(raw, dict):
        raise DemoScriptError(f"{where}: expected a mapping")
    kinds = [k for k in STEP_KINDS if k in raw]
    if len(kinds) != 1:
        raise DemoScriptError(f"{where}: needs exactly one of {', '.join(STEP_KINDS)}")
    kind = kinds[0]
    if kind == "heading":
        return Step(kind=kind, number=number, text=str(raw["heading"]))
    try:
        day = int(raw.get("day", 0))
        at = time.fromisoformat(str(raw.get("at", "00:00")))
    except ValueError:
        raise DemoScriptError(f"{where}: 'day' must be a whole number and 'at' a time like 09:30") from None
    by = str(raw.get("by", ""))
    if kind in ("say", "review") and by not in members:
        raise DemoScriptError(f"{where}: 'by' must name a member, not {by!r}")
    if kind == "review" and not members[by].committee:
        raise DemoScriptError(f"{where}: {by} reviews an incident but is not on the committee")
    channel = str(raw.get("channel", ""))
    if kind == "say" and channel not in channels:
        raise DemoScriptError(f"{where}: 'channel' must name a channel, not {channel!r}")
    action = str(raw.get("action", ""))
    if kind == "review" and action not in {a.value for a in ReviewAction}:
        raise DemoScriptError(f"{where}: 'action' must be one of {', '.join(a.value for a in ReviewAction)}")
    text = raw.get("say") if kind == "say" else raw.get("text", "")
    if kind in ("say", "edit") and (not isinstance(text, str) or not text.strip()):
        raise DemoScriptError(f"{where}: the message text is missing")
    return Step(kind=kind, number=number, day=day, at=at, id=str(raw.get("id", "")), by=by, channel=channel,
                text=str(text or ""), reply_to=str(raw.get("reply_to", "")),
                target=str(raw.get(kind, "")) if kind in ("edit", "mistake", "review") else "",
                action=action, note=str(raw.get("note", "")))


def _check_order_and_references(steps: tuple[Step, ...], path: Path) -> None:
    posted: set[str] = set()
    last = (0, time(0, 0))
    for step in steps:
        if step.kind == "heading":
            continue
        where = f"{path}: step {step.number}"
        if (step.day, step.at) < last:
            raise DemoScriptError(f"{where}: steps must be in time order")
        last = (step.day, step.at)
        for reference in (step.reply_to, step.target):
            if reference and reference not in posted:
                raise DemoScriptError(f"{where}: {reference!r} is not the id of an earlier message")
        if step.kind == "say" and step.id:
            if step.id in posted:
                raise DemoScriptError(f"{where}: id {step.id!r} is used twice")
            posted.add(step.id)
