"""Who may use committee commands, decided on the server from the interaction's own member payload."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.errors import NotCommittee, NudgebotError
from bot.models import Community, Platform, Principal
from bot.texts import DISCORD_COMMITTEE_ONLY

if TYPE_CHECKING:
    from bot.discord.app import NudgeBot

_CACHE_SECONDS = 30.0

REFUSAL = DISCORD_COMMITTEE_ONLY


class CommunityCache:
    """Each guild's saved settings (`/nudgebot setup`), read at most every 30 s; setup invalidates it."""

    def __init__(self, bot: NudgeBot) -> None:
        self._bot = bot
        self._entries: dict[str, tuple[float, Community]] = {}

    async def get(self, guild_id: int | str) -> Community:
        """The community's settings (defaults when never saved)."""
        key = str(guild_id)
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[0] < _CACHE_SECONDS:
            return entry[1]
        community = await self._bot.core.review.community(Platform.DISCORD, key)
        self._entries[key] = (time.monotonic(), community)
        return community

    def invalidate(self, guild_id: int | str) -> None:
        """Forget one guild's settings (after they change)."""
        self._entries.pop(str(guild_id), None)


def committee_role_of(community: Community, default_role: str) -> str:
    """The committee role as configured: the community's own, else the NUDGEBOT_COMMITTEE_ROLE default."""
    return community.committee_role.strip() or default_role.strip()


def is_committee(member: discord.Member | discord.User, permissions: discord.Permissions, role: str) -> bool:
    """Manage Server (or Administrator), or holding the committee role by id or by name (any case).

    `permissions` must be `interaction.permissions`: Discord computes it and sends it with each interaction, so
    nothing a member can set in a message changes the answer.
    """
    if permissions.manage_guild or permissions.administrator:
        return True
    if not isinstance(member, discord.Member) or not role:
        return False
    wanted = role.casefold()
    return any(str(r.id) == role or r.name.casefold() == wanted for r in member.roles)


async def principal_for(interaction: discord.Interaction) -> Principal | None:
    """The acting member as a Principal for the core, or None outside a guild."""
    bot: NudgeBot = interaction.client  # type: ignore[assignment]
    if interaction.guild_id is None:
        return None
    community = await bot.communities.get(interaction.guild_id)
    role = committee_role_of(community, bot.settings.committee_role)
    return Principal(platform=Platform.DISCORD, community_id=str(interaction.guild_id),
                     user_id=str(interaction.user.id), display_name=interaction.user.display_name,
                     is_committee=is_committee(interaction.user, interaction.permissions, role))


async def answer_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError, *,
                               refused: tuple[type[Exception], ...], failure: str, logger: logging.Logger,
                               what: str) -> None:
    """Answer a failed committee command privately: a refusal that reveals nothing to a non-committee member,
    `failure` and the reason for a NudgebotError (what to fix), and for anything else an apology, logged with ids."""
    cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(cause, (NotCommittee, *refused)):
        text = REFUSAL
    elif isinstance(cause, NudgebotError):
        text = f"{failure}: {cause}"
    else:
        logger.error(what, exc_info=cause, extra={"interaction_id": interaction.id, "guild_id": interaction.guild_id})
        text = "Sorry, something went wrong. Please try again later."
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)
