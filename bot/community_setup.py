"""A community's own settings as its committee sets them: the one table of them, their parsing from text, and the
service every adapter (Discord `/nudgebot setup`, Slack `/nudgebot-setup`, `nudgebot community`) saves through.

The service checks the acting principal with the review service's committee check, so an adapter that forgot to
ask would still be refused here; an adapter only establishes who the member is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.errors import InputError
from bot.models import Community, NudgeMode, Platform, Principal
from bot.review import CommitteeReview, is_operator, require_committee

RETENTION_RANGE = (1, 3650)
CONTACT_MAX = 200
_CLEAR = {"none", "-", "off", ""}
_CHANNEL_REF = re.compile(r"<#([A-Z0-9]+)(?:\|[^>]*)?>|\b([CG][A-Z0-9]{6,}|\d{15,21})\b")
_GROUP_REF = re.compile(r"^<!subteam\^([A-Z0-9]+)(?:\|[^>]*)?>$|^(S[A-Z0-9]+)$")
_ROLE_REF = re.compile(r"^<@&(\d+)>$|^(\d{15,21})$")
_ON = {"on", "true", "yes", "1"}
_OFF = {"off", "false", "no", "0"}

BOTH = frozenset({Platform.DISCORD, Platform.SLACK})


@dataclass(frozen=True, slots=True)
class CommunitySetting:
    """One setting a committee chooses: its `Community` field, the names it is typed as, and what it means."""

    field: str
    names: tuple[str, ...]  # the first is the one shown; any is accepted in `name=value`
    label: str
    description: str
    platforms: frozenset[Platform] = BOTH

    @property
    def name(self) -> str:
        """The name shown in help and accepted first."""
        return self.names[0]


COMMUNITY_SETTINGS: tuple[CommunitySetting, ...] = (
    CommunitySetting("committee_role", ("committee", "committee-role", "committee-group"), "Committee",
                     "Discord: the committee's role; Slack: the committee's user group"),
    CommunitySetting("committee_channel", ("committee-channel",), "Committee channel",
                     "Slack: members of this channel are the committee too", frozenset({Platform.SLACK})),
    CommunitySetting("alert_channel", ("alert-channel", "alerts"), "Alert channel",
                     "where committee alerts are posted (and which nudgebot does not moderate)"),
    CommunitySetting("under18_channels", ("under18", "under18-channels"), "Under-18 channels",
                     "channels whose members may be under 18: stricter rules apply there (clause 5.2)"),
    CommunitySetting("nudge_mode", ("mode", "nudge-mode"), "Nudge mode",
                     "nudge the poster, only record the incident, or off"),
    CommunitySetting("retention_days", ("retention", "retention-days"), "Retention",
                     "days an incident's excerpt (and content) is kept before the daily purge"),
    CommunitySetting("keep_full_content", ("content", "keep-full-content"), "Full content kept",
                     "keep the full text of a breaching message, not only a masked excerpt"),
    CommunitySetting("welfare_contact", ("welfare-contact",), "Welfare contact",
                     "who the committee's welfare alerts name (a mention or a name), or none"),
    CommunitySetting("welfare_alerts", ("welfare-alerts",), "Welfare alerts",
                     "tell the committee when someone may need support (on or off)"),
)
_BY_NAME = {name: s for s in COMMUNITY_SETTINGS for name in (*s.names, s.field, s.field.replace("_", "-"))}


def setting_named(name: str) -> CommunitySetting:
    """The setting a typed name means; InputError naming the known ones otherwise."""
    found = _BY_NAME.get(name.strip().lower())
    if found is None:
        known = ", ".join(s.name for s in COMMUNITY_SETTINGS)
        raise InputError(f"{name!r} is not a setting: use one of {known}")
    return found


def _flag(setting: CommunitySetting, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _ON:
        return True
    if text in _OFF:
        return False
    raise InputError(f"{setting.name} is on or off, not {value!r}")


def _days(setting: CommunitySetting, value: object) -> int:
    low, high = RETENTION_RANGE
    try:
        days = value if isinstance(value, int) and not isinstance(value, bool) else int(str(value).strip())
    except ValueError:
        raise InputError(f"{setting.name} is a number of days from {low} to {high}, not {value!r}") from None
    if not low <= days <= high:
        raise InputError(f"{setting.name} is a number of days from {low} to {high}, not {days}")
    return days


def _mode(setting: CommunitySetting, value: object) -> NudgeMode:
    try:
        return NudgeMode(str(value).strip().lower())
    except ValueError:
        modes = ", ".join(m.value for m in NudgeMode)
        raise InputError(f"{setting.name} is one of {modes}, not {value!r}") from None


def channel_ids(text: str) -> tuple[str, ...]:
    """Channel ids from `<#C123|name>` mentions or bare ids (Slack C.../G..., Discord digits); "none" clears."""
    if text.strip().lower() in _CLEAR:
        return ()
    found = [mention or raw for mention, raw in _CHANNEL_REF.findall(text)]
    leftover = _CHANNEL_REF.sub(" ", text).replace(",", " ").split()
    if leftover or not found:
        raise InputError(f"name channels as #mentions or ids, or write none (not {' '.join(leftover) or text!r})")
    return tuple(dict.fromkeys(found))


def _one_channel(setting: CommunitySetting, value: object) -> str:
    channels = channel_ids(str(value))
    if len(channels) > 1:
        raise InputError(f"{setting.name} is one channel, not {len(channels)}")
    return channels[0] if channels else ""


def _committee(setting: CommunitySetting, value: object, platform: Platform) -> str:
    text = str(value).strip()
    if text.lower() in _CLEAR:
        return ""
    pattern = _GROUP_REF if platform is Platform.SLACK else _ROLE_REF
    matched = pattern.match(text)
    if matched:
        return matched.group(1) or matched.group(2)
    if platform is Platform.SLACK:
        raise InputError(f"{setting.name} is a user group (@committee, or its id S...), not {text!r}")
    return text  # Discord: a role's name is accepted too, matched in any case


def _contact(setting: CommunitySetting, value: object) -> str:
    text = " ".join(str(value).split())
    if text.lower() in _CLEAR:
        return ""
    if len(text) > CONTACT_MAX:
        raise InputError(f"{setting.name} is at most {CONTACT_MAX} characters")
    return text


def coerce(setting: CommunitySetting, value: object, platform: Platform) -> object:
    """The value to save for a setting, from a typed value (a bool, an int, a tuple of ids) or from text."""
    if platform not in setting.platforms:
        raise InputError(f"{setting.name} is a setting on {', '.join(sorted(p.value for p in setting.platforms))} "
                         f"only")
    kind = setting.field
    if kind in ("keep_full_content", "welfare_alerts"):
        return _flag(setting, value)
    if kind == "retention_days":
        return _days(setting, value)
    if kind == "nudge_mode":
        return _mode(setting, value)
    if kind == "under18_channels":
        return tuple(str(v) for v in value) if isinstance(value, tuple | list) else channel_ids(str(value))
    if kind in ("alert_channel", "committee_channel"):
        return _one_channel(setting, value)
    if kind == "committee_role":
        return _committee(setting, value, platform)
    return _contact(setting, value)


def parse_assignments(words: Sequence[str]) -> dict[str, str]:
    """`name=value` words as {field: text}; a word without `=` continues the value before it (`under18=#a #b`)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for word in words:
        name, equals, value = word.partition("=")
        if equals and not name.startswith("<"):
            current = found.setdefault(setting_named(name).field, [])
            current[:] = [value] if value else []
        elif current is None:
            raise InputError(f"{word!r}: write settings as name=value, e.g. mode=record retention=90")
        else:
            current.append(word)
    return {field: " ".join(parts) for field, parts in found.items()}


def channel_mention(channel_id: str) -> str:
    """A channel as both platforms render it in a message."""
    return f"<#{channel_id}>"


def shown_values(community: Community, *, committee: str,
                 channel: Callable[[str], str] = channel_mention) -> list[tuple[str, str]]:
    """(label, value) for each setting of the community's platform, in the table's order; channels as mentions
    (the same `<#id>` on both platforms; the CLI passes its own `channel`), the committee as the adapter renders
    it."""
    values: dict[str, str] = {
        "committee_role": committee or "not set",
        "committee_channel": channel(community.committee_channel) if community.committee_channel else "none",
        "alert_channel": (channel(community.alert_channel) if community.alert_channel
                          else "not set: alerts cannot be posted"),
        "under18_channels": " ".join(channel(c) for c in community.under18_channels) or "none",
        "nudge_mode": community.nudge_mode.value,
        "retention_days": f"{community.retention_days} days",
        "keep_full_content": "on" if community.keep_full_content else "off (a masked excerpt only)",
        "welfare_contact": community.welfare_contact or "none",
        "welfare_alerts": "on" if community.welfare_alerts else "off",
    }
    return [(s.label, values[s.field]) for s in COMMUNITY_SETTINGS if community.platform in s.platforms]


class CommunitySetup:
    """Showing and changing a community's settings with every value checked against the table above; who may is
    the committee review's to say (`CommitteeReview.settings` and `save_settings`, with their principal check)."""

    def __init__(self, review: CommitteeReview) -> None:
        self.review = review

    async def show(self, principal: Principal, platform: Platform | None = None,
                   community_id: str | None = None) -> Community:
        """The settings of the principal's community (the operator names one)."""
        return await self.review.settings(principal, platform=platform, community_id=community_id)

    async def change(self, principal: Principal, changes: Mapping[str, object], *, name: str | None = None,
                     platform: Platform | None = None, community_id: str | None = None) -> Community:
        """Save the given settings (by field or typed name; values typed or as text), leaving the others; an
        invalid one saves nothing. Returns the community as saved."""
        require_committee(principal, "community setup")  # before a word of the input is judged
        target = platform if is_operator(principal) and platform is not None else principal.platform
        values: dict[str, object] = {}
        for key, value in changes.items():
            setting = setting_named(key)
            values[setting.field] = coerce(setting, value, target)
        if name:
            values["name"] = name
        return await self.review.save_settings(principal, values, platform=platform, community_id=community_id)
