"""`/nudgebot-setup` on Slack: every per-community setting, shown and changed through the core's community setup
service, which checks the committee; this listener acks first and only says who the member is.

    /nudgebot-setup                                  the settings as saved
    /nudgebot-setup under18=#freshers #juniors mode=record retention=90 content=off
    /nudgebot-setup welfare-contact=@jo welfare-alerts=on committee=@committee alert-channel=#nudgebot-alerts
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.community_setup import COMMUNITY_SETTINGS, parse_assignments, shown_values
from bot.errors import NotCommittee, NudgebotError
from bot.models import Community, Platform, Principal
from bot.slack import blocks
from bot.texts import SLACK_SETUP_COMMITTEE_ONLY

if TYPE_CHECKING:
    from bot.slack.app import SlackBot

log = logging.getLogger(__name__)

COMMAND = "/nudgebot-setup"
USAGE = (f"`{COMMAND}` shows the settings; `{COMMAND} name=value …` changes them. Settings: "
         + "; ".join(f"`{s.name}`: {s.description}" for s in COMMUNITY_SETTINGS if Platform.SLACK in s.platforms))
_USER_MENTION = re.compile(r"^<@[UW][A-Z0-9]+(?:\|[^>]*)?>$")


def settings_blocks(community: Community, heading: str) -> tuple[str, list[blocks.Block]]:
    """The workspace's settings as one answer: a line per setting, channels and people as mentions."""
    contact = community.welfare_contact
    # The contact is typed by a committee member: shown as a mention when it is one, else as plain text.
    safe = replace(community, welfare_contact=contact if _USER_MENTION.match(contact) else blocks.escape(contact))
    group = community.committee_role
    committee = f"<!subteam^{group}>" if group else "not set (or the committee channel)"
    lines = [f"*{label}*: {value}" for label, value in shown_values(safe, committee=committee)]
    return heading, [blocks.section(f"*{heading}*"), blocks.section("\n".join(lines))]


def register(bot: SlackBot) -> None:
    """Add the `/nudgebot-setup` listener to the bot's Bolt app."""

    async def on_setup(ack: Callable[..., Awaitable[Any]], command: dict[str, Any],
                       respond: Callable[..., Awaitable[Any]], context: dict[str, Any]) -> None:
        await ack()
        team_id = str(context.get("team_id") or command.get("team_id") or "")
        user_id = str(command.get("user_id") or "")
        principal = Principal(platform=Platform.SLACK, community_id=team_id, user_id=user_id,
                              is_committee=await bot.committee.is_committee(team_id, user_id))
        text, body = await answer(bot, principal, str(command.get("text") or ""))
        await respond(text=text, blocks=body, response_type="ephemeral")

    bot.app.command(COMMAND)(on_setup)


async def answer(bot: SlackBot, principal: Principal, text: str) -> tuple[str, list[blocks.Block]]:
    """What `/nudgebot-setup TEXT` answers: the settings, saved or shown, a refusal, or what to fix."""
    setup = bot.core.setup
    try:
        words = text.split()
        if words and words[0].lower() == "help":
            await setup.show(principal)  # the committee's command: even its help is theirs
            return blocks.notice(USAGE)
        if not words:
            return settings_blocks(await setup.show(principal), "nudgebot settings for this workspace")
        changes = parse_assignments(words)
        saved = await setup.change(principal, changes)
        return settings_blocks(saved, "Saved. nudgebot settings for this workspace")
    except NotCommittee:
        log.info("setup refused", extra={"user_id": principal.user_id, "team_id": principal.community_id})
        return blocks.notice(SLACK_SETUP_COMMITTEE_ONLY)
    except NudgebotError as exc:
        return blocks.notice(f"Nothing saved: {exc}. {USAGE}")
    except Exception:
        log.exception("/nudgebot-setup failed", extra={"user_id": principal.user_id})
        return blocks.notice("Sorry, that did not work; the error is in nudgebot's log.")
