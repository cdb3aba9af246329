"""Rule statistics: shadow-tier matches of rules on trial, and what each rule did (nudged, held, shadow)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select, true

from bot.models import Platform, RuleStats, ShadowRecord
from bot.store.base import Db, StoreBase, StoreError, ts
from bot.store.engine import run_blocking
from bot.store.jsonitems import json_items
from bot.store.stats import scope
from bot.store.tables import SHADOW_KEY, incidents, insert_for, shadow_matches
from bot.store.target import DatabaseTarget, is_postgresql

SAMPLES_PER_RULE = 3
# Built once per engine, at first use (the SQLite path caches its compiled text by statement; an SQLite store
# never loads PostgreSQL's dialect).
_KEEP_SHADOW: dict[str, Any] = {}


def _keep_shadow(dialect: str) -> Any:
    """INSERT ... ON CONFLICT (platform, community, message, revision, rule) DO NOTHING, for this engine."""
    statement = _KEEP_SHADOW.get(dialect)
    if statement is None:
        statement = _KEEP_SHADOW[dialect] = insert_for(dialect)(shadow_matches).on_conflict_do_nothing(
            index_elements=SHADOW_KEY)
    return statement


class RuleStatsStore(StoreBase):
    """Shadow matches in, per-rule statistics out; None for platform/community means every one."""

    async def record_shadow(self, records: Sequence[ShadowRecord]) -> None:
        """Keep shadow-tier matches for the rule statistics (one transaction for one message's matches), each once
        per message, revision and rule: a match already kept (an audit replayed, or another process that saw the
        same message) is not counted again."""
        if not records:
            return
        rows = [{"platform": r.platform.value, "community_id": r.community_id, "rule_id": r.rule_id,
                 "clause": r.clause, "sample": r.sample[:300], "matched_at": ts(r.matched_at),
                 "message_id": r.message_id, "revision": r.revision} for r in records]
        statement = _keep_shadow(self.dialect)

        async def work(db: Db) -> None:
            if self.postgresql:
                await db.many(statement, rows)
            else:
                await db.sqlite_many(statement, rows)

        await self._write(work)

    async def rule_stats(self, platform: Platform | None = None, community_id: str | None = None,
                         since: datetime | None = None, until: datetime | None = None) -> list[RuleStats]:
        """Per rule over [since, until): incidents by tier, confirmed and dismissed, shadow volume and samples."""
        where = scope(incidents, platform, community_id, since, until)
        rule = json_items(incidents.c.rules).table_valued("value").alias("r")
        counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for row in await self._rows(
                select(rule.c.value.label("rule"), incidents.c.tier,
                       func.sum(case((incidents.c.status == "confirmed", 1), else_=0)).label("confirmed"),
                       func.sum(case((incidents.c.status == "dismissed", 1), else_=0)).label("dismissed"),
                       func.count().label("n"))
                .select_from(incidents.join(rule, true())).where(where).group_by(rule.c.value, incidents.c.tier)):
            per_rule = counts[row["rule"]]
            per_rule["nudges" if row["tier"] == "nudge" else "held_for_review"] += row["n"]
            per_rule["dismissed"] += row["dismissed"]
            if row["tier"] == "review":
                per_rule["confirmed"] += row["confirmed"]
        shadow_where = scope(shadow_matches, platform, community_id, since, until, time_column="matched_at")
        for row in await self._rows(select(shadow_matches.c.rule_id, func.count().label("n"))
                                    .where(shadow_where).group_by(shadow_matches.c.rule_id)):
            counts[row["rule_id"]]["shadow"] += row["n"]
        ranked = (select(shadow_matches.c.rule_id, shadow_matches.c.sample,
                         func.row_number().over(partition_by=shadow_matches.c.rule_id,
                                                order_by=(shadow_matches.c.matched_at.desc(),
                                                          shadow_matches.c.id.desc())).label("k"))
                  .where(shadow_where).subquery("ranked"))
        samples: dict[str, list[str]] = defaultdict(list)
        for row in await self._rows(select(ranked.c.rule_id, ranked.c.sample)
                                    .where(ranked.c.k <= SAMPLES_PER_RULE).order_by(ranked.c.rule_id, ranked.c.k)):
            samples[row["rule_id"]].append(row["sample"])
        return [RuleStats(rule_id=rule, samples=tuple(samples.get(rule, ())), **dict(counts[rule]))
                for rule in sorted(counts)]


def read_rule_stats(target: DatabaseTarget, platform: Platform | None = None, community_id: str | None = None,
                    since: datetime | None = None, until: datetime | None = None) -> list[RuleStats]:
    """`rule_stats` for `nudgebot rules stats`: never migrates; a missing or out-of-date database is a
    StoreError naming the fix."""
    if not is_postgresql(target) and not Path(target).exists():
        raise StoreError(f"no database at {target}: check --db or NUDGEBOT_DB")

    async def read() -> list[RuleStats]:
        store = await RuleStatsStore.open(target, read_only=True)
        try:
            return await store.rule_stats(platform, community_id, since, until)
        finally:
            await store.close()

    return run_blocking(read)
