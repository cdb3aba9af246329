"""The incident store, the only code that writes SQL: an SQLite file (aiosqlite, WAL) or PostgreSQL (asyncpg),
one long-lived connection per process through SQLAlchemy Core."""

from __future__ import annotations

from bot.store.base import StoreError, migrate_database, migration_status
from bot.store.closed_dms import ClosedDmStore
from bot.store.communities import CommunityStore
from bot.store.engine import STORE_FAILURES
from bot.store.escalations import EscalationStore
from bot.store.files import PRIVATE_MODE, create_private, write_private
from bot.store.incidents import FEEDBACK_KINDS, HELD_REASON, IncidentStore, query_filter
from bot.store.installations import InstallationStore
from bot.store.migrate import MigrationError
from bot.store.names import NameStore
from bot.store.request_counts import InvalidRequestStore
from bot.store.retention import RetentionStore
from bot.store.rulestats import RuleStatsStore, read_rule_stats
from bot.store.stats import StatsStore
from bot.store.target import DatabaseTarget, database_target, is_postgresql, shown

__all__ = [
    "FEEDBACK_KINDS",
    "HELD_REASON",
    "PRIVATE_MODE",
    "STORE_FAILURES",
    "DatabaseTarget",
    "MigrationError",
    "Store",
    "StoreError",
    "create_private",
    "database_target",
    "is_postgresql",
    "migrate_database",
    "migration_status",
    "query_filter",
    "read_rule_stats",
    "shown",
    "write_private",
]


class Store(IncidentStore, CommunityStore, EscalationStore, StatsStore, RetentionStore, RuleStatsStore,
            NameStore, ClosedDmStore, InstallationStore, InvalidRequestStore):
    """Async access to the incident database. Build with `await Store.open(path_or_url)`; close when done.

    Every write is one short transaction (BEGIN IMMEDIATE on SQLite), retried while another process holds the
    lock; times are timezone-aware datetimes stored as UTC text. See docs/contracts.md, "Store".
    """
