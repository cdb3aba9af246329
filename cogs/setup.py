"""`/nudgebot setup` on Discord: every per-community setting, shown and changed through the core's community setup
service, which checks the committee (the adapter only says who the member is, from the interaction's payload).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.community_setup import shown_values
from bot.discord.access import answer_command_error, committee_role_of, principal_for
from bot.models import Community, NudgeMode, Platform, Principal

if TYPE_CHECKING:
    from bot.discord.app import NudgeBot

log = logging.getLogger(__name__)

MODE_CHOICES = [app_commands.Choice(name=m.value, value=m.value) for m in NudgeMode]
_CHANNEL_REF = re.compile(r"<#(\d+)>|\b(\d{15,21})\b")


def community_embed(community: Community, role: str) -> discord.Embed:
    """The settings as saved, one field per setting of the table in `bot.community_setup`."""
    embed = discord.Embed(title="nudgebot settings for this server", colour=discord.Colour.green())
    committee = f"<@&{role}>" if role.isdigit() else role
    for label, value in shown_values(community, committee=committee):
        embed.add_field(name=label, value=value)
    return embed


def parse_channels(text: str, guild: discord.Guild) -> tuple[str, ...]:
    """Channel mentions or ids from free text ("none" clears); raises ValueError naming an unknown channel."""
    if text.strip().lower() in ("none", "-", ""):
        return ()
    found = []
    for mention, raw in _CHANNEL_REF.findall(text):
        channel_id = int(mention or raw)
        if guild.get_channel_or_thread(channel_id) is None:
            raise ValueError(f"<#{channel_id}> is not a channel of this server")
        found.append(str(channel_id))
    if not found:
        raise ValueError("name the channels as #mentions, e.g. #freshers #juniors, or write none")
    return tuple(dict.fromkeys(found))


class Setup(commands.Cog):
    """The committee's settings for its server."""

    nudgebot = app_commands.Group(name="nudgebot", description="Set nudgebot up for this server (committee only)",
                                  guild_only=True)

    def __init__(self, bot: NudgeBot) -> None:
        self.bot = bot

    async def _principal(self, interaction: discord.Interaction) -> Principal:
        principal = await principal_for(interaction)
        if principal is None:  # guild_only: Discord sends none outside a server, but never trust that
            return Principal(platform=Platform.DISCORD, community_id="", user_id=str(interaction.user.id))
        return principal

    @nudgebot.command(name="setup", description="Show or change this server's nudgebot settings")
    @app_commands.describe(committee_role="who can review incidents", alert_channel="where alerts are posted",
                           under18_channels="#channels whose members may be under 18 (or none)",
                           nudge_mode="nudge posters, only record, or off", retention_days="keep excerpts this long",
                           keep_full_content="keep the full text of breaching messages, not only an excerpt",
                           welfare_contact="who welfare alerts name: a @mention or a name (or none)",
                           welfare_alerts="tell the committee when someone may need support")
    @app_commands.choices(nudge_mode=MODE_CHOICES)
    async def setup(self, interaction: discord.Interaction, committee_role: discord.Role | None = None,
                    alert_channel: discord.TextChannel | None = None, under18_channels: str | None = None,
                    nudge_mode: str | None = None,
                    retention_days: app_commands.Range[int, 1, 3650] | None = None,
                    keep_full_content: bool | None = None,
                    welfare_contact: app_commands.Range[str, 0, 200] | None = None,
                    welfare_alerts: bool | None = None) -> None:
        """Change the given settings (the others stay) and show them all; with none given, only show them."""
        principal = await self._principal(interaction)
        guild = interaction.guild
        if guild is None:  # a DM holds no committee rights: the core refuses it (NotCommittee, answered below)
            await self.bot.core.setup.show(principal)
            return
        changes: dict[str, object] = {}
        if committee_role is not None:
            changes["committee_role"] = str(committee_role.id)
        if alert_channel is not None:
            changes["alert_channel"] = str(alert_channel.id)
        if under18_channels is not None:
            try:
                changes["under18_channels"] = parse_channels(under18_channels, guild)
            except ValueError as exc:
                # Who may see even this answer is the core's to say: ask it first.
                await self.bot.core.setup.show(principal)
                await interaction.response.send_message(f"Nothing saved: {exc}.", ephemeral=True)
                return
        for name, value in (("nudge_mode", nudge_mode), ("retention_days", retention_days),
                            ("keep_full_content", keep_full_content), ("welfare_contact", welfare_contact),
                            ("welfare_alerts", welfare_alerts)):
            if value is not None:
                changes[name] = value
        if changes:
            community = await self.bot.core.setup.change(principal, changes, name=guild.name)
            self.bot.communities.invalidate(guild.id)
            answer = "Saved."
        else:
            community = await self.bot.core.setup.show(principal)
            answer = "These are the settings; give any option to change it."
        role = committee_role_of(community, self.bot.settings.committee_role)
        await interaction.response.send_message(answer, embed=community_embed(community, role), ephemeral=True)

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        """A polite refusal that reveals nothing, or what to fix; anything else logged with its ids."""
        await answer_command_error(interaction, error, refused=(), failure="Nothing saved", logger=log,
                                   what="setup failed")


async def setup(bot: NudgeBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(Setup(bot))
