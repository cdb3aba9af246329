"""Collects the report's figures from the incident store (through its public methods only)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.models import Escalation, Incident, IncidentQuery, IncidentStatus, Platform
from bot.report.data import EscalationRow, ReportData, RuleFigures
from bot.store import Store

MAX_WEEKS = 26  # a chart with more bars than this is unreadable; the oldest weeks are left off
OPEN_LIMIT = 100
_QUEUE = (IncidentStatus.OPEN, IncidentStatus.ESCALATED)


def iso_weeks_between(first: str, last: str) -> list[str]:
    """Every ISO week label from `first` to `last` inclusive ("2026-W52", "2026-W53", "2027-W01", ...)."""
    start = date.fromisocalendar(int(first[:4]), int(first[6:]), 1)
    end = date.fromisocalendar(int(last[:4]), int(last[6:]), 1)
    weeks = []
    day = start
    while day <= end:
        year, week, _ = day.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        day += timedelta(days=7)
    return weeks


async def gather_report(store: Store, *, now: datetime, platform: Platform | None = None,
                        community_id: str | None = None, since: datetime | None = None,
                        until: datetime | None = None) -> ReportData:
    """Everything the report shows for one community (or every community in the file) over [since, until)."""
    stats = await store.stats(platform, community_id, since, until)
    weeks = stats.weeks
    if weeks:
        weeks = tuple(iso_weeks_between(weeks[0], weeks[-1])[-MAX_WEEKS:])  # empty weeks show as empty bars
    weekly = tuple((week, {clause: per_week[week] for clause, per_week in stats.by_clause_week.items()
                           if per_week.get(week)}) for week in weeks)
    rules = tuple(RuleFigures(rule=rule, incidents=count, dismissed=stats.dismissed_by_rule.get(rule, 0),
                              mistakes=stats.mistakes_by_rule.get(rule, 0)) for rule, count in stats.top_rules)

    communities = [c for c in await store.list_communities()
                   if (platform is None or c.platform is platform)
                   and (community_id is None or c.community_id == community_id)]
    escalations: list[Escalation] = []
    for community in communities:
        escalations.extend(e for e in await store.list_escalations(community.platform, community.community_id)
                           if (since is None or e.created_at >= since) and (until is None or e.created_at < until))
    escalations.sort(key=lambda e: e.created_at, reverse=True)

    queue: list[Incident] = []
    open_total = 0
    for status in _QUEUE:
        query = IncidentQuery(platform=platform, community_id=community_id, status=status, limit=OPEN_LIMIT)
        queue.extend(await store.list_incidents(query))
        open_total += await store.count_incidents(query)
    queue.sort(key=lambda i: (i.created_at, i.id), reverse=True)

    held_query = IncidentQuery(platform=platform, community_id=community_id, status=IncidentStatus.REVIEW,
                               limit=OPEN_LIMIT)
    held = await store.list_incidents(held_query)

    if len(communities) == 1:
        title = communities[0].name or communities[0].community_id
    elif community_id is not None:
        title = community_id
    else:
        title = "all communities" if communities else "no community yet"
    members: dict[str, str] = {}
    channels: dict[str, str] = {}
    for community in communities:
        members.update(await store.names(community.platform, community.community_id, "member"))
        channels.update(await store.names(community.platform, community.community_id, "channel"))
    for incident in queue:  # the platform's own name for an author is the newest word on it
        if incident.author_name:
            members[incident.author_id] = incident.author_name
    rows = [await _row(store, e, members) for e in escalations]
    return ReportData(
        title=title, generated_at=now, since=since, until=until, weekly=weekly, rules=rules,
        delivery=dict(stats.delivery), escalations=tuple(rows),
        open_incidents=tuple(queue[:OPEN_LIMIT]), open_total=open_total, status_counts=dict(stats.by_status),
        held_incidents=tuple(held), held_total=await store.count_incidents(held_query),
        held_in_period=stats.held_for_review, member_names=members, channel_names=channels)


async def _name(store: Store, escalation: Escalation, member_id: str, members: dict[str, str]) -> str:
    """A member's name: as saved, else as the platform gave it on one of their own incidents, else the id."""
    if member_id not in members:
        for incident in reversed(await store.author_incidents(escalation.platform, escalation.community_id,
                                                              member_id)):
            if incident.author_name:
                members[member_id] = incident.author_name
                break
    return members.get(member_id, member_id)


async def _row(store: Store, escalation: Escalation, members: dict[str, str]) -> EscalationRow:
    author = escalation.author_id
    if escalation.incident_ids:
        first = await store.get_incident(escalation.incident_ids[0])
        if first is not None and first.author_name:
            author = first.author_name
    if author == escalation.author_id:
        author = await _name(store, escalation, escalation.author_id, members)
    return EscalationRow(id=escalation.id, author=author,
                         target=await _name(store, escalation, escalation.target_id, members),
                         incidents=len(escalation.incident_ids), opened=escalation.created_at,
                         status=escalation.status)
