"""The committee's statistics: incidents per clause per ISO week, rules, nudge delivery and false positives."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, exists, func, select, true

from bot.models import IncidentStats, Platform, clause_sort_key
from bot.store.base import StoreBase, ts
from bot.store.jsonitems import json_items
from bot.store.tables import escalations, feedback, incidents

TOP_RULES = 10


def scope(table: Table, platform: Platform | None, community_id: str | None, since: datetime | None,
          until: datetime | None, *, time_column: str = "created_at") -> ColumnElement[bool]:
    """The rows of one platform and community (None: every one) created in [since, until)."""
    conditions: list[ColumnElement[bool]] = [true()]
    if platform is not None:
        conditions.append(table.c.platform == platform.value)
    if community_id is not None:
        conditions.append(table.c.community_id == community_id)
    if since is not None:
        conditions.append(table.c[time_column] >= ts(since))
    if until is not None:
        conditions.append(table.c[time_column] < ts(until))
    return and_(*conditions)


def iso_week(day: str) -> str:
    """"2026-11-24" -> "2026-W48"."""
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def count_by(column: Any, where: ColumnElement[bool]) -> Any:
    """SELECT column, COUNT(*) AS n ... GROUP BY column."""
    return select(column, func.count().label("n")).where(where).group_by(column)


class StatsStore(StoreBase):
    """Aggregates for `review.stats` and the HTML report; None for platform/community means every one."""

    async def stats(self, platform: Platform | None, community_id: str | None, since: datetime | None = None,
                    until: datetime | None = None) -> IncidentStats:
        """Counts over incidents created in [since, until); `open_incidents` is the review queue now."""
        where = scope(incidents, platform, community_id, since, until)
        now = scope(incidents, platform, community_id, None, None)
        clause = json_items(incidents.c.clauses).table_valued("value").alias("c")
        rule = json_items(incidents.c.rules).table_valued("value").alias("r")
        # Grouped by UTC day in SQL (SQLite 3.40 has no ISO-week format), folded into ISO weeks here.
        day = func.substr(incidents.c.created_at, 1, 10).label("day")
        per_day = await self._rows(
            select(day, clause.c.value.label("clause"), func.count().label("n"))
            .select_from(incidents.join(clause, true())).where(where).group_by(day, clause.c.value))
        by_clause_week: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in per_day:
            by_clause_week[row["clause"]][iso_week(row["day"])] += row["n"]
        by_status = {r["status"]: r["n"] for r in await self._rows(count_by(incidents.c.status, where))}
        delivery = {r["delivery_status"]: r["n"]
                    for r in await self._rows(count_by(incidents.c.delivery_status, where))}
        n = func.count().label("n")
        top = await self._rows(
            select(rule.c.value.label("rule"), n).select_from(incidents.join(rule, true())).where(where)
            .group_by(rule.c.value).order_by(n.desc(), rule.c.value).limit(TOP_RULES))
        mistaken = exists().where(feedback.c.incident_id == incidents.c.id, feedback.c.kind == "mistake")
        dismissed = await self._rows(
            select(rule.c.value.label("rule"), n, func.sum(case((mistaken, 1), else_=0)).label("mistakes"))
            .select_from(incidents.join(rule, true())).where(where, incidents.c.status == "dismissed")
            .group_by(rule.c.value).order_by(n.desc(), rule.c.value))
        open_row = await self._one(select(func.count().label("n")).where(now, incidents.c.status == "open"))
        held_row = await self._one(select(func.count().label("n")).where(where, incidents.c.tier == "review"))
        queue_row = await self._one(select(func.count().label("n")).where(now, incidents.c.status == "review"))
        escalated = {r["status"]: r["n"] for r in await self._rows(
            count_by(escalations.c.status, scope(escalations, platform, community_id, since, until)))}
        return IncidentStats(
            since=since, until=until, total=sum(by_status.values()), open_incidents=int(open_row["n"]) if open_row
            else 0, by_status=by_status,
            by_clause_week={c: dict(sorted(w.items())) for c, w in
                            sorted(by_clause_week.items(), key=lambda item: clause_sort_key(item[0]))},
            top_rules=tuple((r["rule"], r["n"]) for r in top), delivery=delivery,
            dismissed_by_rule={r["rule"]: r["n"] for r in dismissed},
            mistakes_by_rule={r["rule"]: r["mistakes"] for r in dismissed if r["mistakes"]},
            escalations=escalated, held_for_review=int(held_row["n"]) if held_row else 0,
            review_queue=int(queue_row["n"]) if queue_row else 0)
