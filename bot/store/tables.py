"""Table metadata for the statements whose SQL differs between SQLite and PostgreSQL (upserts, RETURNING):
SQLAlchemy renders them for each engine. The migrations, not this file, define the schema."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text
from sqlalchemy.dialects import sqlite

metadata = MetaData()

incidents = Table(
    "incidents", metadata,
    Column("id", Integer, primary_key=True),
    *(Column(name, Text) for name in (
        "platform", "community_id", "channel_id", "message_id", "permalink", "author_id", "author_name",
        "targets", "clauses", "primary_clause", "rules", "severity", "excerpt", "content", "created_at",
        "delivery_status", "recorded_at", "tier", "status", "delivery_reason")),
    Column("revision", BigInteger),
)
INCIDENT_KEY = ("platform", "community_id", "message_id", "revision")

communities = Table(
    "communities", metadata,
    *(Column(name, Text) for name in (
        "platform", "community_id", "name", "committee_role", "committee_channel", "alert_channel",
        "under18_channels", "nudge_mode", "welfare_contact", "updated_at")),
    *(Column(name, Integer) for name in ("retention_days", "keep_full_content", "welfare_alerts")),
)

escalations = Table(
    "escalations", metadata,
    Column("id", Integer, primary_key=True),
    *(Column(name, Text) for name in ("platform", "community_id", "author_id", "target_id", "status",
                                      "created_at", "updated_at")),
)

escalation_incidents = Table(
    "escalation_incidents", metadata, Column("escalation_id", Integer), Column("incident_id", Integer))

closed_dms = Table(
    "closed_dms", metadata, *(Column(name, Text) for name in ("platform", "community_id", "member_id", "until")))

daily_jobs = Table(
    "daily_jobs", metadata, *(Column(name, Text) for name in ("job", "day", "claimed_by", "claimed_at")))


feedback = Table("feedback", metadata, Column("incident_id", Integer), Column("kind", Text))

shadow_matches = Table(
    "shadow_matches", metadata, Column("id", Integer, primary_key=True),
    *(Column(name, Text) for name in ("platform", "community_id", "rule_id", "clause", "sample", "matched_at")))

names = Table("names", metadata, *(Column(name, Text) for name in ("platform", "community_id", "kind", "id", "name",
                                                                      "updated_at")))


def insert_for(dialect: str) -> Any:
    """The dialect's INSERT construct (both take `.on_conflict_do_nothing` / `.on_conflict_do_update`)."""
    if dialect == "postgresql":
        # Imported here: a bot on its SQLite file never loads PostgreSQL's dialect (2 MB of peak memory).
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return sqlite.insert
