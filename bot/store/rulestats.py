"""Rule statistics: shadow-tier matches of rules on trial, and what each rule did (nudged, held, shadow)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.models import Platform, RuleStats, ShadowRecord
from bot.store.base import StoreBase, StoreError, readable_uri, ts, unusable
from bot.store.stats import scope

SAMPLES_PER_RULE = 3


class RuleStatsStore(StoreBase):
    """Shadow matches in, per-rule statistics out; None for platform/community means every one."""

    async def record_shadow(self, records: Sequence[ShadowRecord]) -> None:
        """Keep shadow-tier matches for the rule statistics (one transaction for one message's matches)."""
        if not records:
            return
        rows = [(r.platform.value, r.community_id, r.rule_id, r.clause, r.sample[:300], ts(r.matched_at))
                for r in records]

        async def work(db: Any) -> None:
            await db.executemany(
                "INSERT INTO shadow_matches (platform, community_id, rule_id, clause, sample, matched_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", rows)

        await self._write(work)

    async def rule_stats(self, platform: Platform | None = None, community_id: str | None = None,
                         since: datetime | None = None, until: datetime | None = None) -> list[RuleStats]:
        """Per rule over [since, until) (see `read_rule_stats`), read on a read-only connection of its own."""
        return await asyncio.to_thread(read_rule_stats, self.path, platform, community_id, since, until)


def read_rule_stats(path: Path, platform: Platform | None = None, community_id: str | None = None,
                    since: datetime | None = None, until: datetime | None = None) -> list[RuleStats]:
    """Per rule over [since, until): incidents by tier, confirmed and dismissed, shadow volume and samples.

    Opens the file read-only (`nudgebot rules stats` never writes); a database from before the tiers (or no
    database) is a StoreError naming the fix.
    """
    if not path.exists():
        raise StoreError(f"no database at {path}: check --db or NUDGEBOT_DB")
    try:  # readable_uri: mode=ro, immutable on a read-only mount no process has open, and not-SQLite named
        connection = sqlite3.connect(readable_uri(path), uri=True)
    except sqlite3.Error as exc:
        raise unusable(path, exc) from None
    connection.row_factory = sqlite3.Row
    try:
        return _gather(connection, platform, community_id, since, until)
    except sqlite3.OperationalError as exc:
        if "no such" in str(exc):
            raise StoreError(f"the database {path} predates rule statistics: run `nudgebot db upgrade`") from None
        raise StoreError(f"cannot read rule statistics from {path}: {exc}") from None
    finally:
        connection.close()


def _gather(db: sqlite3.Connection, platform: Platform | None, community_id: str | None, since: datetime | None,
            until: datetime | None) -> list[RuleStats]:
    where, params = scope(platform, community_id, since, until)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in db.execute(
            "SELECT r.value AS rule, incidents.tier AS tier, SUM(incidents.status = 'confirmed') AS confirmed, "
            "SUM(incidents.status = 'dismissed') AS dismissed, COUNT(*) AS n "
            f"FROM incidents, json_each(incidents.rules) AS r WHERE {where} GROUP BY rule, tier", params):
        per_rule = counts[row["rule"]]
        per_rule["nudges" if row["tier"] == "nudge" else "held_for_review"] += row["n"]
        per_rule["dismissed"] += row["dismissed"]
        if row["tier"] == "review":
            per_rule["confirmed"] += row["confirmed"]
    shadow_where, shadow_params = scope(platform, community_id, since, until, table="shadow_matches",
                                         time_column="matched_at")
    for row in db.execute(f"SELECT rule_id, COUNT(*) AS n FROM shadow_matches WHERE {shadow_where} "
                          "GROUP BY rule_id", shadow_params):
        counts[row["rule_id"]]["shadow"] += row["n"]
    samples: dict[str, list[str]] = defaultdict(list)
    for row in db.execute(
            "SELECT rule_id, sample FROM (SELECT rule_id, sample, ROW_NUMBER() OVER (PARTITION BY rule_id "
            f"ORDER BY matched_at DESC, id DESC) AS k FROM shadow_matches WHERE {shadow_where}) "
            f"WHERE k <= {SAMPLES_PER_RULE} ORDER BY rule_id, k", shadow_params):
        samples[row["rule_id"]].append(row["sample"])
    return [RuleStats(rule_id=rule, samples=tuple(samples.get(rule, ())), **dict(counts[rule]))
            for rule in sorted(counts)]
