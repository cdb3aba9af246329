"""Chat markup as a reader sees it: Slack's `<@U1>`, `<#C1|general>`, `<https://…|label>` and Discord's `<@123>`,
`<#123>`, turned into "@Sam", "#general" and the link's words, so an excerpt reads like the message did."""

from __future__ import annotations

import re
from collections.abc import Mapping

_ANGLED = re.compile(r"<([^<>\s][^<>]*)>")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))  # Slack escapes these three in message text
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def readable(text: str, members: Mapping[str, str], channels: Mapping[str, str]) -> str:
    """`text` with mentions, channel links and links shown as words (plain text: the caller escapes it)."""

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            key = target.lstrip("@!&")
            return "@" + (label or members.get(key, key))
        if target.startswith("#"):
            key = target[1:]
            return "#" + (label or channels.get(key, key))
        if target.startswith("!"):
            word = target[1:].split("^")[0]
            return label or _SPECIAL.get(word, "@" + word)
        if re.match(r"(?:https?|mailto):", target):
            return label or target
        return match.group(0)  # not markup: someone typed angle brackets

    shown = _ANGLED.sub(replace, text)
    for entity, char in _ENTITIES:
        shown = shown.replace(entity, char)
    return shown


def channel_label(channel_id: str, channels: Mapping[str, str]) -> str:
    """"#general" where the channel's name is known, else its id."""
    name = channels.get(channel_id)
    return f"#{name}" if name else channel_id
