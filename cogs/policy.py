"""`/policy clause` and `/policy search`: anyone can read the Social Media Policy, privately, from the chat."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.detection.clauses import Clause, PolicyBook

if TYPE_CHECKING:
    from bot.discord.app import NudgeBot

log = logging.getLogger(__name__)

POLICY_COLOUR = discord.Colour.teal()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def clause_embed(clause: Clause) -> discord.Embed:
    """One clause: heading, the words of the policy, the plain-words summary and what to do."""
    embed = discord.Embed(title=_cut(f"Clause {clause.id}: {clause.heading}", 256),
                          description=_cut(clause.text, 4096), colour=POLICY_COLOUR)
    embed.add_field(name="In plain words", value=_cut(clause.summary, 1024), inline=False)
    if clause.guidance:
        embed.add_field(name="What to do", value=_cut(clause.guidance, 1024), inline=False)
    embed.set_footer(text=_cut(f"Students' Union Social Media Policy \u00b7 {clause.section}", 2048))
    return embed


def search_embed(query: str, found: list[Clause]) -> discord.Embed:
    """The clauses that match a search, each with its summary."""
    embed = discord.Embed(title=_cut(f"Policy clauses about \u201c{query}\u201d", 256), colour=POLICY_COLOUR)
    for clause in found[:10]:
        embed.add_field(name=_cut(f"{clause.id} {clause.heading}", 256), value=_cut(clause.summary, 1024),
                        inline=False)
    embed.set_footer(text="/policy clause <id> shows a clause in full")
    return embed


class Policy(commands.GroupCog, group_name="policy", group_description="Read the Students' Union Social Media Policy"):
    """Policy look-up, open to everyone; answers are ephemeral (only the asker sees them)."""

    def __init__(self, bot: NudgeBot, book: PolicyBook) -> None:
        self.bot = bot
        self.book = book
        super().__init__()

    @app_commands.command(name="clause", description="Show one clause of the policy")
    @app_commands.describe(clause="A clause number such as 5.5.1, or words from its heading")
    async def clause(self, interaction: discord.Interaction, clause: str) -> None:
        """Show a clause by id (or the best match for heading words)."""
        found = self.book.get(clause) or next(iter(self.book.complete(clause, limit=1)), None)
        if found is None:
            await interaction.response.send_message(
                f"There is no clause \u201c{_cut(clause, 50)}\u201d. Try `/policy search` with a few words.",
                ephemeral=True)
            return
        await interaction.response.send_message(embed=clause_embed(found), ephemeral=True)

    @clause.autocomplete("clause")
    async def clause_autocomplete(self, interaction: discord.Interaction,
                                  current: str) -> list[app_commands.Choice[str]]:
        """Clause ids and headings that start with, or contain, what has been typed (25 at most)."""
        clauses = self.book.complete(current, limit=25) if current.strip() else self.book.all()[:25]
        return [app_commands.Choice(name=_cut(f"{c.id} {c.heading}", 100), value=c.id) for c in clauses]

    @app_commands.command(name="search", description="Find the clauses about something")
    @app_commands.describe(query="A few words, e.g. \u201cphone numbers\u201d or \u201cswearing\u201d")
    async def search(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 200]) -> None:
        """The clauses that best match the words."""
        found = self.book.search(query)
        if not found:
            await interaction.response.send_message(
                f"No clause mentions \u201c{_cut(query, 50)}\u201d. Try other words, or `/policy clause`.",
                ephemeral=True)
            return
        await interaction.response.send_message(embed=search_embed(query, found), ephemeral=True)

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        """Log with ids and answer politely; the asker never sees a traceback."""
        log.error("policy command failed", exc_info=error, extra={"interaction_id": interaction.id})
        text = "Sorry, I could not look that up just now."
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: NudgeBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(Policy(bot, bot.core.policy))
