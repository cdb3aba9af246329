"""The committee's statistics: incidents per clause per ISO week, rules, nudge delivery and false positives."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from bot.models import IncidentStats, Platform, clause_sort_key
from bot.store.base import StoreBase, ts

TOP_RULES = 10


def scope(platform: Platform | None, community_id: str | None, since: datetime | None, until: datetime | None,
          *, table: str = "incidents", time_column: str = "created_at") -> tuple[str, list[Any]]:
    """A WHERE clause and its parameters for one platform and community (None: every one) within [since, until)
    on `table`'s `time_column`."""
    conditions = ["1 = 1"]
    params: list[Any] = []
    if platform is not None:
        conditions.append(f"{table}.platform = ?")
        params.append(platform.value)
    if community_id is not None:
        conditions.append(f"{table}.community_id = ?")
        params.append(community_id)
    if since is not None:
        conditions.append(f"{table}.{time_column} >= ?")
        params.append(ts(since))
    if until is not None:
        conditions.append(f"{table}.{time_column} < ?")
        params.append(ts(until))
    return " AND ".join(conditions), params


def iso_week(day: str) -> str:
    """"2026-11-24" -> "2026-W48"."""
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


class StatsStore(StoreBase):
    """Aggregates for `review.stats` and the HTML report; None for platform/community means every one."""

    async def stats(self, platform: Platform | None, community_id: str | None, since: datetime | None = None,
                    until: datetime | None = None) -> IncidentStats:
        """Counts over incidents created in [since, until); `open_incidents` is the review queue now."""
        where, params = scope(platform, community_id, since, until)
        # Grouped by UTC day in SQL (SQLite 3.40 has no ISO-week format), folded into ISO weeks here.
        per_day = await self._rows(
            f"SELECT substr(incidents.created_at, 1, 10) AS day, c.value AS clause, COUNT(*) AS n "
            f"FROM incidents, json_each(incidents.clauses) AS c WHERE {where} GROUP BY day, clause", params)
        by_clause_week: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in per_day:
            by_clause_week[row["clause"]][iso_week(row["day"])] += row["n"]
        by_status = {r["status"]: r["n"] for r in await self._rows(
            f"SELECT status, COUNT(*) AS n FROM incidents WHERE {where} GROUP BY status", params)}
        delivery = {r["delivery_status"]: r["n"] for r in await self._rows(
            f"SELECT delivery_status, COUNT(*) AS n FROM incidents WHERE {where} GROUP BY delivery_status", params)}
        top = await self._rows(
            f"SELECT r.value AS rule, COUNT(*) AS n FROM incidents, json_each(incidents.rules) AS r WHERE {where} "
            f"GROUP BY rule ORDER BY n DESC, rule LIMIT {TOP_RULES}", params)
        dismissed = await self._rows(
            f"SELECT r.value AS rule, COUNT(*) AS n, SUM(EXISTS (SELECT 1 FROM feedback f WHERE "
            f"f.incident_id = incidents.id AND f.kind = 'mistake')) AS mistakes "
            f"FROM incidents, json_each(incidents.rules) AS r WHERE {where} AND incidents.status = 'dismissed' "
            f"GROUP BY rule ORDER BY n DESC, rule", params)
        scope_now, scope_params = scope(platform, community_id, None, None)
        open_row = await self._one(
            f"SELECT COUNT(*) AS n FROM incidents WHERE {scope_now} AND status = 'open'", scope_params)
        held_row = await self._one(
            f"SELECT COUNT(*) AS n FROM incidents WHERE {where} AND incidents.tier = 'review'", params)
        queue_row = await self._one(
            f"SELECT COUNT(*) AS n FROM incidents WHERE {scope_now} AND status = 'review'", scope_params)
        where_esc, esc_params = scope(platform, community_id, since, until, table="escalations")
        escalations = {r["status"]: r["n"] for r in await self._rows(
            f"SELECT status, COUNT(*) AS n FROM escalations WHERE {where_esc} GROUP BY status", esc_params)}
        return IncidentStats(
            since=since, until=until, total=sum(by_status.values()), open_incidents=int(open_row["n"]) if open_row
            else 0, by_status=by_status,
            by_clause_week={c: dict(sorted(w.items())) for c, w in
                            sorted(by_clause_week.items(), key=lambda item: clause_sort_key(item[0]))},
            top_rules=tuple((r["rule"], r["n"]) for r in top), delivery=delivery,
            dismissed_by_rule={r["rule"]: r["n"] for r in dismissed},
            mistakes_by_rule={r["rule"]: r["mistakes"] for r in dismissed if r["mistakes"]},
            escalations=escalations, held_for_review=int(held_row["n"]) if held_row else 0,
            review_queue=int(queue_row["n"]) if queue_row else 0)
