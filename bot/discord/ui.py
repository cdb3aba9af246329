"""How nudges and committee alerts look on Discord: embeds, and buttons whose custom_id carries the incident id.

The buttons are `DynamicItem`s: discord.py matches a pressed button's custom_id against the template, so they
keep working for messages sent before a restart without any state kept in memory.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.discord.access import REFUSAL, principal_for
from bot.errors import NudgebotError
from bot.models import AlertKind, CommitteeAlert, Nudge, ReviewAction, Severity
from bot.texts import (
    FEEDBACK_GONE,
    FEEDBACK_THANKS,
    HELD_CONFIRM_LABEL,
    NUDGE_BUTTONS,
    REVIEW_DONE,
    REVIEW_LABELS,
    alert_title,
)

if TYPE_CHECKING:
    from bot.discord.app import NudgeBot

log = logging.getLogger(__name__)

NUDGE_COLOUR = discord.Colour.blurple()
_SEVERITY_COLOURS = {Severity.LOW: discord.Colour.light_grey(), Severity.MEDIUM: discord.Colour.gold(),
                     Severity.HIGH: discord.Colour.orange(), Severity.CRITICAL: discord.Colour.red()}


def _cut(text: str, limit: int) -> str:
    """Keep within Discord's embed limits."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def nudge_embed(nudge: Nudge) -> discord.Embed:
    """The private nudge: the clause, in plain words, the masked excerpt, what to do, and a jump link."""
    where = f" in <#{nudge.channel_id}>" if nudge.channel_id else ""
    embed = discord.Embed(
        title="A quick private note about your message",
        description=_cut(f"Your message{where} may go against **clause {nudge.clause_id} "
                         f"({nudge.clause_heading})** of the Students' Union Social Media Policy.\n\n"
                         f"{nudge.plain_words}", 4096),
        colour=NUDGE_COLOUR, url=nudge.permalink or None)
    embed.add_field(name="Why", value=_cut(f"{nudge.category}: \u201c{nudge.excerpt}\u201d", 1024), inline=False)
    if nudge.extra_clauses:
        embed.add_field(name="It may also touch", value=", ".join(nudge.extra_clauses), inline=False)
    embed.add_field(name="What to do now", value=_cut(nudge.what_to_do, 1024), inline=False)
    if nudge.permalink:
        embed.add_field(name="Your message", value=f"[Jump to it]({nudge.permalink})", inline=False)
    embed.add_field(name="Read the clause", value=_cut(nudge.lookup_hint, 1024), inline=False)
    embed.set_footer(text=f"Only you can see this. {nudge.mistake_hint}")
    return embed


def nudge_view(incident_id: int) -> discord.ui.View:
    """"I've fixed it" and "I think this is a mistake", for one incident."""
    view = discord.ui.View(timeout=None)
    view.add_item(NudgeFeedbackButton(incident_id, "fixed"))
    view.add_item(NudgeFeedbackButton(incident_id, "mistake"))
    return view


def alert_embed(alert: CommitteeAlert) -> discord.Embed:
    """A committee alert: ids, severity, masked excerpt and a jump link; never the reporter of a message."""
    colour = _SEVERITY_COLOURS.get(alert.severity, discord.Colour.gold()) if alert.severity else discord.Colour.gold()
    # Kept well under 6,000 characters in all, so several alerts fit in one message (Discord's total limit).
    embed = discord.Embed(title=_cut(alert_title(alert.kind), 256), description=_cut(alert.summary, 2500),
                          colour=colour, url=alert.permalink or None)
    if alert.incident_ids:
        embed.add_field(name="Incident" + ("s" if len(alert.incident_ids) > 1 else ""),
                        value=_cut(", ".join(f"#{i}" for i in alert.incident_ids), 1024))
    if alert.severity is not None:
        embed.add_field(name="Severity", value=alert.severity.value)
    if alert.escalation_id is not None:
        embed.add_field(name="Escalation", value=f"#{alert.escalation_id}")
    if alert.channel_id:
        embed.add_field(name="Channel", value=f"<#{alert.channel_id}>")
    if alert.author_id:
        embed.add_field(name="Posted by", value=f"<@{alert.author_id}>")
    if alert.target_id:
        embed.add_field(name="Aimed at", value=f"<@{alert.target_id}>")
    if alert.permalink:
        embed.add_field(name="Message", value=f"[Jump to it]({alert.permalink})", inline=False)
    if alert.incident_ids:
        embed.set_footer(text=alert_footer(alert.incident_ids[-1]))
    return embed


def alert_view(alerts: Sequence[CommitteeAlert]) -> discord.ui.View | None:
    """Confirm, Dismiss, Delete message and Escalate for each alert's newest incident, one row per alert (None
    when no alert has an incident); an incident held for review gets "Confirm & nudge" and "Dismiss"."""
    view = discord.ui.View(timeout=None)
    for row, alert in enumerate(a for a in alerts if a.incident_ids):
        held = alert.kind is AlertKind.HELD_FOR_REVIEW
        for action in HELD_ACTIONS if held else ALERT_ACTIONS:
            label = HELD_CONFIRM_LABEL if held and action == "confirm" else None
            view.add_item(AlertActionButton(alert.incident_ids[-1], action, row=row, label=label))
    return view if view.children else None


def alert_footer(incident_id: int) -> str:
    """The footer that ties an alert embed to the incident its buttons act on."""
    return f"/incidents show {incident_id} for the full record"


_FEEDBACK_STYLES = {"fixed": discord.ButtonStyle.success, "mistake": discord.ButtonStyle.secondary}


class NudgeFeedbackButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                          template=r"nudgebot:nudge:(?P<kind>fixed|mistake):(?P<incident>[0-9]+)"):
    """A button on a nudge DM: the poster's answer goes to the core as member feedback."""

    def __init__(self, incident_id: int, kind: str) -> None:
        super().__init__(discord.ui.Button(label=NUDGE_BUTTONS[kind], style=_FEEDBACK_STYLES[kind],
                                           custom_id=f"nudgebot:nudge:{kind}:{incident_id}"))
        self.incident_id = incident_id
        self.kind = kind

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> NudgeFeedbackButton:
        """Rebuild the button from a pressed custom_id (after a restart too)."""
        return cls(int(match["incident"]), match["kind"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the poster's feedback and thank them."""
        bot: NudgeBot = interaction.client  # type: ignore[assignment]
        accepted = await bot.core.moderator.member_feedback(self.incident_id, str(interaction.user.id),
                                                            self.kind)  # type: ignore[arg-type]
        text = FEEDBACK_THANKS[self.kind] if accepted else FEEDBACK_GONE
        await interaction.response.send_message(text, ephemeral=True)


ALERT_ACTIONS = ("confirm", "dismiss", "delete", "escalate")
HELD_ACTIONS = ("confirm", "dismiss")  # held for review: the committee decides whether the poster is nudged
_ALERT_STYLES = {"confirm": discord.ButtonStyle.danger, "dismiss": discord.ButtonStyle.secondary,
                 "delete": discord.ButtonStyle.danger, "escalate": discord.ButtonStyle.primary}


class AlertActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                        template=r"nudgebot:alert:(?P<action>confirm|dismiss|delete|escalate):(?P<incident>[0-9]+)"):
    """A committee button on an alert; who pressed it is checked on every press."""

    def __init__(self, incident_id: int, action: str, row: int | None = None, label: str | None = None) -> None:
        style = _ALERT_STYLES[action]
        super().__init__(discord.ui.Button(label=label or REVIEW_LABELS[action], style=style, row=row,
                                           custom_id=f"nudgebot:alert:{action}:{incident_id}"))
        self.incident_id = incident_id
        self.action = action

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> AlertActionButton:
        """Rebuild the button from a pressed custom_id (after a restart too)."""
        return cls(int(match["incident"]), match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Carry out the committee's decision through the core's review, then note it on the alert."""
        bot: NudgeBot = interaction.client  # type: ignore[assignment]
        principal = await principal_for(interaction)
        if principal is None or not principal.is_committee:
            await interaction.response.send_message(REFUSAL, ephemeral=True)
            return
        note = f"from the alert in Discord by {principal.display_name or principal.user_id}"
        reviewed = None
        try:
            if self.action == "delete":
                incident = (await bot.core.review.show(principal, self.incident_id)).incident
                problem = await _delete_message(bot, incident.channel_id, incident.message_id)
                if problem:
                    await interaction.response.send_message(problem, ephemeral=True)
                    return
                await bot.core.review.transition(principal, self.incident_id, ReviewAction.RESOLVE,
                                                 "message deleted " + note)
            else:
                reviewed = await bot.core.review_incident(principal, self.incident_id, ReviewAction(self.action),
                                                          note)
        except NudgebotError as exc:
            await interaction.response.send_message(f"That did not work: {exc}", ephemeral=True)
            return
        embeds = _with_action(interaction.message, self.incident_id, self.action, interaction.user)
        if embeds is not None:
            await interaction.response.edit_message(embeds=embeds)
        else:
            await interaction.response.send_message(f"{REVIEW_DONE[self.action]}: incident #{self.incident_id}.",
                                                    ephemeral=True)
        if reviewed is not None:
            await bot.delivery.deliver_reviewed(reviewed)


async def _delete_message(bot: NudgeBot, channel_id: str, message_id: str) -> str:
    """Delete the reported message; '' on success (or when it was already gone), else why not."""
    if not message_id.isdigit():  # a thread's title (cogs.moderation.title_id): there is no message to delete
        return "That incident is about a thread's title: rename or delete the thread in Discord instead."
    channel = bot.get_partial_messageable(int(channel_id))
    try:
        await channel.get_partial_message(int(message_id)).delete()
    except discord.NotFound:
        return ""
    except discord.Forbidden:
        return "I could not delete it: give nudgebot the Manage Messages permission in that channel."
    except discord.HTTPException as exc:
        log.warning("could not delete a message", extra={"channel_id": channel_id, "message_id": message_id,
                                                         "status": exc.status})
        return "Discord would not delete it just now; please try again."
    return ""


def _with_action(message: discord.Message | None, incident_id: int, action: str,
                 user: discord.abc.User) -> list[discord.Embed] | None:
    """The alert message's embeds, with a line on the one for this incident saying who did what."""
    if message is None or not message.embeds:
        return None
    embeds = [embed.copy() for embed in message.embeds]
    footer = alert_footer(incident_id)
    target = next((e for e in embeds if e.footer.text == footer), embeds[0])
    when = discord.utils.format_dt(discord.utils.utcnow(), "f")
    target.add_field(name=REVIEW_DONE[action], value=f"by {user.mention} ({when})", inline=False)
    return embeds
