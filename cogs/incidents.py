"""Committee review on Discord: `/incidents list|show|review|export|stats`, the alert buttons and the "Report to
committee" message menu (`/nudgebot setup` is `cogs.setup`).

Who is on the committee is decided on the server for every command, from the member payload Discord sends
with the interaction (the committee role or Manage Server); the core checks the resulting Principal again.
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.access import answer_command_error, principal_for
from bot.discord.ui import AlertActionButton
from bot.models import (
    Incident,
    IncidentQuery,
    IncidentStats,
    IncidentStatus,
    Principal,
    ReviewAction,
)
from bot.texts import status_label
from cogs.moderation import message_event

if TYPE_CHECKING:
    from bot.discord.app import NudgeBot
    from bot.review import IncidentDetail

log = logging.getLogger(__name__)

PAGE = 15
STATUS_CHOICES = [app_commands.Choice(name=s.value, value=s.value) for s in IncidentStatus]
ACTION_CHOICES = [app_commands.Choice(name=a.value, value=a.value) for a in ReviewAction]


class NotOnCommittee(app_commands.CheckFailure):
    """The member is neither on the committee nor able to manage the server."""


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _when(moment: datetime) -> str:
    return discord.utils.format_dt(moment if moment.tzinfo else moment.replace(tzinfo=UTC), "d")


def incident_line(incident: Incident) -> str:
    """One row of the list: id, clause, status, who, where, when and the masked excerpt."""
    clause = incident.clauses[0] if incident.clauses else "?"
    excerpt = _cut(incident.excerpt, 80)
    return (f"**#{incident.id}** \u00b7 {clause} \u00b7 {status_label(incident.status)} \u00b7 "
            f"<@{incident.author_id}> in "
            f"<#{incident.channel_id}> \u00b7 {_when(incident.created_at)}\n\u2003\u201c{excerpt}\u201d")


def detail_embed(detail: IncidentDetail) -> discord.Embed:
    """An incident in full, with its audit trail and what the committee can do next."""
    incident = detail.incident
    embed = discord.Embed(title=f"Incident #{incident.id}", description=f"\u201c{_cut(incident.excerpt, 1000)}\u201d",
                          colour=discord.Colour.orange(), url=incident.permalink or None)
    embed.add_field(name="Clauses", value=", ".join(incident.clauses) or "?")
    embed.add_field(name="Severity", value=incident.severity.value)
    embed.add_field(name="Status", value=status_label(incident.status))
    embed.add_field(name="Tier", value=incident.tier.value)
    embed.add_field(name="Posted by", value=f"<@{incident.author_id}>")
    embed.add_field(name="Channel", value=f"<#{incident.channel_id}>")
    embed.add_field(name="Nudge", value=f"{incident.delivery_status.value} {incident.delivery_reason}".strip())
    if incident.targets:
        embed.add_field(name="Aimed at", value=" ".join(f"<@{t}>" for t in incident.targets), inline=False)
    embed.add_field(name="Rules", value=_cut(", ".join(incident.rules), 1024), inline=False)
    if detail.events:
        trail = "\n".join(f"{_when(e.created_at)} {e.action} by "
                          f"{'nudgebot' if e.actor_id == 'nudgebot' else f'<@{e.actor_id}>'}"
                          f"{': ' + e.note if e.note else ''}" for e in detail.events[-10:])
        embed.add_field(name="Audit trail", value=_cut(trail, 1024), inline=False)
    if detail.actions:
        embed.set_footer(text="Next: " + ", ".join(a.value for a in detail.actions)
                         + f" (/incidents review incident:{incident.id})")
    return embed


def stats_embed(stats: IncidentStats, days: int) -> discord.Embed:
    """The committee's figures for the last `days` days."""
    embed = discord.Embed(title=f"Incidents in the last {days} days", colour=discord.Colour.blurple())
    embed.add_field(name="Recorded", value=str(stats.total))
    embed.add_field(name="Waiting for review", value=str(stats.open_incidents))
    embed.add_field(name="Held for review (nobody nudged)", value=str(stats.review_queue))
    rate = stats.delivery_rate
    embed.add_field(name="Nudges delivered", value="-" if rate is None else f"{rate:.0%}")
    if stats.by_status:
        embed.add_field(name="By status", value=", ".join(f"{k}: {v}" for k, v in sorted(stats.by_status.items())),
                        inline=False)
    per_clause = {clause: sum(weeks.values()) for clause, weeks in stats.by_clause_week.items()}
    if per_clause:
        embed.add_field(name="By clause", value=_cut(", ".join(f"{c}: {n}" for c, n in sorted(per_clause.items())),
                                                     1024), inline=False)
    if stats.top_rules:
        embed.add_field(name="Most frequent rules",
                        value=_cut("\n".join(f"{rule}: {n}" for rule, n in stats.top_rules[:8]), 1024), inline=False)
    if stats.escalations:
        embed.add_field(name="Escalations", value=", ".join(f"{k}: {v}" for k, v in stats.escalations.items()))
    return embed


class Incidents(commands.Cog):
    """Committee-only review; "Report to committee" is open to every member."""

    incidents = app_commands.Group(name="incidents", description="Review nudgebot's incidents (committee only)",
                                   guild_only=True)

    def __init__(self, bot: NudgeBot) -> None:
        self.bot = bot
        self.report_menu = app_commands.ContextMenu(name="Report to committee", callback=self.report_message)
        self.report_menu.guild_only = True

    async def cog_load(self) -> None:
        """Make the alert buttons answer (alerts posted before a restart too) and add the report menu."""
        self.bot.add_dynamic_items(AlertActionButton)
        self.bot.tree.add_command(self.report_menu)

    async def cog_unload(self) -> None:
        """Undo cog_load."""
        self.bot.remove_dynamic_items(AlertActionButton)
        self.bot.tree.remove_command(self.report_menu.name, type=self.report_menu.type)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Every command here: the committee role or Manage Server, from the interaction's member payload."""
        principal = await principal_for(interaction)
        if principal is None or not principal.is_committee:
            log.info("committee command refused", extra={"user_id": interaction.user.id,
                                                         "guild_id": interaction.guild_id})
            raise NotOnCommittee()
        interaction.extras["principal"] = principal
        return True

    @staticmethod
    def _principal(interaction: discord.Interaction) -> Principal:
        return interaction.extras["principal"]

    @staticmethod
    def _query(principal: Principal, status: str | None = None, clause: str | None = None,
               member: discord.abc.User | None = None,
               channel: discord.abc.GuildChannel | discord.Thread | None = None,
               days: int | None = None, limit: int = PAGE, offset: int = 0) -> IncidentQuery:
        since = discord.utils.utcnow() - timedelta(days=days) if days else None
        return IncidentQuery(status=IncidentStatus(status) if status else None, clause=clause or None,
                             author_id=str(member.id) if member else None,
                             channel_id=str(channel.id) if channel else None, since=since, limit=limit,
                             offset=offset)

    @incidents.command(name="list", description="Incidents, newest first")
    @app_commands.describe(status="only this status", clause="only this clause, e.g. 5.5.1",
                           member="only this member's", channel="only in this channel", page="page number")
    @app_commands.choices(status=STATUS_CHOICES)
    async def list_incidents(self, interaction: discord.Interaction, status: str | None = None,
                             clause: str | None = None, member: discord.User | None = None,
                             channel: discord.TextChannel | discord.Thread | None = None,
                             page: app_commands.Range[int, 1, 1000] = 1) -> None:
        """One page of incidents matching the filters."""
        principal = self._principal(interaction)
        query = self._query(principal, status, clause, member, channel, offset=(page - 1) * PAGE)
        rows = await self.bot.core.review.list(principal, query)
        total = await self.bot.core.review.count(principal, replace(query, limit=0, offset=0))
        if not rows:
            await interaction.response.send_message("No incidents match." if page == 1 else "No more incidents.",
                                                    ephemeral=True)
            return
        embed = discord.Embed(title=f"Incidents ({total} in all)", colour=discord.Colour.orange(),
                              description=_cut("\n".join(incident_line(i) for i in rows), 4096))
        pages = max(1, -(-total // PAGE))
        embed.set_footer(text=f"Page {page} of {pages} \u00b7 /incidents show <id> for details")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @incidents.command(name="show", description="One incident in full, with its audit trail")
    @app_commands.describe(incident="the incident number")
    async def show(self, interaction: discord.Interaction, incident: app_commands.Range[int, 1]) -> None:
        """An incident's record and audit trail."""
        detail = await self.bot.core.review.show(self._principal(interaction), incident)
        await interaction.response.send_message(embed=detail_embed(detail), ephemeral=True)

    @incidents.command(name="review", description="Confirm, dismiss, escalate, resolve or reopen an incident")
    @app_commands.describe(incident="the incident number", action="what to do", note="why (kept in the audit trail)")
    @app_commands.choices(action=ACTION_CHOICES)
    async def review(self, interaction: discord.Interaction, incident: app_commands.Range[int, 1], action: str,
                     note: app_commands.Range[str, 0, 1000] = "") -> None:
        """Move an incident along the review, leaving an audit event."""
        reviewed = await self.bot.core.review_incident(self._principal(interaction), incident, action, note)
        sent = " The nudge is being sent to the poster." if reviewed.nudge is not None else ""
        await interaction.response.send_message(
            f"Incident #{reviewed.incident.id} is now **{status_label(reviewed.incident.status)}**.{sent}",
            ephemeral=True)
        await self.bot.delivery.deliver_reviewed(reviewed)

    @incidents.command(name="export", description="Download incidents as a CSV file")
    @app_commands.describe(status="only this status", clause="only this clause", days="only the last N days")
    @app_commands.choices(status=STATUS_CHOICES)
    async def export(self, interaction: discord.Interaction, status: str | None = None, clause: str | None = None,
                     days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        """A CSV attachment only the asker sees."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        principal = self._principal(interaction)
        data = await self.bot.core.review.export(principal, self._query(principal, status, clause, days=days), "csv")
        if len(data) > interaction.filesize_limit:
            await interaction.followup.send("The export is larger than Discord allows; narrow it with status, "
                                            "clause or days, or use `nudgebot incidents export`.", ephemeral=True)
            return
        name = f"incidents-{discord.utils.utcnow():%Y%m%d-%H%M}.csv"
        await interaction.followup.send("Here is the export. It holds personal data: keep it to the committee.",
                                        file=discord.File(io.BytesIO(data), filename=name), ephemeral=True)

    @incidents.command(name="stats", description="Figures for the committee")
    @app_commands.describe(days="how many days back (default 30)")
    async def stats(self, interaction: discord.Interaction, days: app_commands.Range[int, 1, 3650] = 30) -> None:
        """Counts by status and clause, delivery rate and the most frequent rules."""
        since = discord.utils.utcnow() - timedelta(days=days)
        figures = await self.bot.core.review.stats(self._principal(interaction), since=since)
        await interaction.response.send_message(embed=stats_embed(figures, days), ephemeral=True)

    async def cog_app_command_error(self, interaction: discord.Interaction,
                                    error: app_commands.AppCommandError) -> None:
        """The one place errors become answers: a polite refusal that reveals nothing, or what to fix."""
        await answer_command_error(interaction, error, refused=(NotOnCommittee,), failure="That did not work",
                                   logger=log, what="committee command failed")

    async def report_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """"Report to committee": an alert in the committee's channel; the reporter is never named in it."""
        if message.guild is None:
            await interaction.response.send_message("Reports work on server messages only.", ephemeral=True)
            return
        community = await self.bot.communities.get(message.guild.id)
        if not community.alert_channel:
            await interaction.response.send_message(
                "The committee has not set an alert channel yet, so I cannot pass this on. Please message a "
                "committee member directly.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            alert = await self.bot.core.moderator.report_message(str(interaction.user.id), message_event(message))
            self.bot.delivery.post_alerts([alert])
        except Exception:
            log.exception("report not passed on", extra={"message_id": message.id, "guild_id": message.guild.id})
            await interaction.followup.send("Sorry, I could not pass that on. Please message a committee member.",
                                            ephemeral=True)
            return
        await interaction.followup.send("Thank you. The committee has been told privately; the member will not "
                                        "be told who reported it.", ephemeral=True)


async def setup(bot: NudgeBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(Incidents(bot))
