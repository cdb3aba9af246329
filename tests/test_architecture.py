"""The core stays platform-neutral: only the adapters and the store may import platform or database libraries."""

from __future__ import annotations

import ast
from pathlib import Path

BOT_DIR = Path(__file__).resolve().parent.parent / "bot"
ADAPTERS = {"discord_app.py", "slack_app.py"}
PLATFORMS = {"discord", "slack_bolt", "slack_sdk"}
DATABASE_DRIVERS = {"aiosqlite", "sqlite3", "asyncpg", "sqlalchemy"}
FORBIDDEN = PLATFORMS | DATABASE_DRIVERS
# The spool (inbox.py, spool.py) is a local SQLite file of its own, beside the store: it may use sqlite3.
SPOOL = {"inbox.py", "spool.py"}


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_imports_no_platform_library() -> None:
    offenders = {}
    for path in BOT_DIR.rglob("*.py"):
        if path.name in ADAPTERS or {"cli", "store"} & set(path.relative_to(BOT_DIR).parts):
            continue
        bad = _imported_roots(path) & FORBIDDEN
        if path.name in SPOOL:
            bad -= {"sqlite3"}
        if bad:
            offenders[str(path.relative_to(BOT_DIR))] = sorted(bad)
    assert offenders == {}


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import discord\nfrom slack_bolt.async_app import AsyncApp\n", encoding="utf-8")
    assert _imported_roots(sample) & FORBIDDEN == {"discord", "slack_bolt"}


def test_database_drivers_stay_in_the_store() -> None:
    """SQLAlchemy, aiosqlite, asyncpg and sqlite3 appear only in bot/store/ (and the spool's own sqlite3)."""
    offenders = {}
    for path in BOT_DIR.rglob("*.py"):
        if "store" in path.relative_to(BOT_DIR).parts:
            continue
        bad = _imported_roots(path) & DATABASE_DRIVERS - ({"sqlite3"} if path.name in SPOOL else set())
        if bad:
            offenders[str(path.relative_to(BOT_DIR))] = sorted(bad)
    assert offenders == {}


def test_checker_sees_a_database_driver(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import asyncpg\nfrom sqlalchemy import text\n", encoding="utf-8")
    assert _imported_roots(sample) & DATABASE_DRIVERS == {"asyncpg", "sqlalchemy"}
