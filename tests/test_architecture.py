"""The core stays platform-neutral: only the adapters and the store may import platform or database libraries."""

from __future__ import annotations

import ast
from pathlib import Path

BOT_DIR = Path(__file__).resolve().parent.parent / "bot"
ADAPTERS = {"discord", "slack"}  # bot/discord/ and bot/slack/
FORBIDDEN = {"discord", "slack_bolt", "slack_sdk", "aiosqlite"}


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
        if ({"cli", "store"} | ADAPTERS) & set(path.relative_to(BOT_DIR).parts[:-1]):
            continue
        bad = _imported_roots(path) & FORBIDDEN
        if bad:
            offenders[str(path.relative_to(BOT_DIR))] = sorted(bad)
    assert offenders == {}


def test_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import discord\nfrom slack_bolt.async_app import AsyncApp\n", encoding="utf-8")
    assert _imported_roots(sample) & FORBIDDEN == {"discord", "slack_bolt"}
