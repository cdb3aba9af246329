"""Draw docs/nudge.svg from the real nudge: the real scanner and policy build it, Slack's Block Kit renders it.

Run from the repository: `.venv/bin/python docs/draw_nudge.py` (writes docs/nudge.svg). The words and the button
labels in the picture are the ones a member receives, so the picture cannot drift from the bot.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from bot.detection.clauses import load_policy
from bot.detection.scanner import load_default_scanner
from bot.models import Platform, ScanContext
from bot.nudges import build_nudge, masked_excerpt, primary_match
from bot.slack import blocks

OUTPUT = Path(__file__).resolve().parent / "nudge.svg"
# A made-up message, written for this picture (never taken from the evaluation sets).
MESSAGE = "lost my phone at the social, if anyone finds it ring Jo on 07700 900461 and she'll collect it"
WIDTH = 84
_BOLD = re.compile(r"\*([^*\n]+)\*")
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+>")
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&"}


def real_nudge_blocks(message: str = MESSAGE) -> list[dict[str, Any]]:
    """The Block Kit nudge nudgebot would send on Slack for `message` in #general."""
    verdict = load_default_scanner().scan(message, ScanContext())
    focus = primary_match(verdict.matches)
    if focus is None:
        raise SystemExit(f"no rule fires on {message!r}: the picture needs a message that breaches the policy")
    nudge = build_nudge(incident_id=1, platform=Platform.SLACK, community_id="T0", channel_id="C0GENERAL",
                        message_id="C0GENERAL:1.1", recipient_id="U0", clauses=verdict.clauses or (focus.clause,),
                        category=focus.category, excerpt=masked_excerpt(message, verdict.matches, focus),
                        policy=load_policy())
    return blocks.nudge_message(nudge)[1]


def _mrkdwn(text: str) -> Text:
    """Slack mrkdwn as a member sees it: *bold*, links by their label, the channel by name."""
    text = _CHANNEL.sub("#general", _LINK.sub(r"\2", text))
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    out = Text()
    cursor = 0
    for bold in _BOLD.finditer(text):
        out.append(text[cursor:bold.start()])
        out.append(bold.group(1), style="bold")
        cursor = bold.end()
    out.append(text[cursor:])
    return out


def button_labels(rendered: list[dict[str, Any]]) -> list[str]:
    """The labels of the buttons under the nudge, in order."""
    return [element["text"]["text"] for block in rendered if block["type"] == "actions"
            for element in block["elements"] if element["type"] == "button"]


def picture(rendered: list[dict[str, Any]]) -> Panel:
    """The nudge's blocks drawn as a private message: sections, small print, then the buttons in brackets."""
    parts: list[Any] = []
    for block in rendered:
        if block["type"] == "section":
            parts += [_mrkdwn(block["text"]["text"]), Text()]
        elif block["type"] == "context":
            small = Text(" ").join(_mrkdwn(e["text"]) for e in block["elements"])
            small.stylize("dim")
            parts += [small, Text()]
    buttons = Text("  ").join(Text(f"[ {label} ]", style="bold") for label in button_labels(rendered))
    return Panel(Group(*parts, buttons), box=box.ROUNDED, border_style="yellow", padding=(0, 1),
                 title="[bold]A private message from nudgebot[/] (Slack)", title_align="left")


def draw(output: Path = OUTPUT) -> Path:
    """Write the SVG of the real nudge to `output`."""
    with open(os.devnull, "w", encoding="utf-8") as nowhere:
        console = Console(record=True, width=WIDTH, file=nowhere)
        console.print(picture(real_nudge_blocks()))
    console.save_svg(str(output), title="nudgebot: a private nudge on Slack")
    return output


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT))
