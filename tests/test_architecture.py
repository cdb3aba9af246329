"""The boundaries of DESIGN.md, as a test: each platform library only in its adapter, SQL drivers only in the store,
and the platform-neutral parts (detection, moderation, runtime) importing no adapter.

Every import counts, including those inside functions (the CLI imports the adapters lazily, so a platform library
imported there would still be the CLI's own).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# library -> the folders (relative to the repository) allowed to import it
ALLOWED = {
    "discord": ("bot/discord", "cogs"),
    "slack_bolt": ("bot/slack",),
    "slack_sdk": ("bot/slack",),
    "aiosqlite": ("bot/store",),
    "sqlite3": ("bot/store",),  # the inbox's spool file included (bot/store/spool.py)
    "asyncpg": ("bot/store",),
    "sqlalchemy": ("bot/store",),
}
ADAPTERS = ("bot.discord", "bot.slack", "cogs")
NEUTRAL = ("bot/detection", "bot/moderation", "bot/runtime")  # platform-neutral: no adapter either


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, as absolute names (a relative import resolved against the file's package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(root).parent.parts
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else ()
            names.add(".".join([*base, *([node.module] if node.module else [])]))
    return names


def _inside(path: Path, folders: tuple[str, ...], root: Path) -> bool:
    relative = path.relative_to(root).as_posix()
    return any(relative == folder or relative.startswith(folder + "/") for folder in folders)


def boundary_breaches(root: Path = ROOT) -> dict[str, list[str]]:
    """file -> the imports it may not make, for every Python file under bot/ and cogs/."""
    breaches: dict[str, list[str]] = {}
    for path in sorted([*root.joinpath("bot").rglob("*.py"), *root.joinpath("cogs").rglob("*.py")]):
        bad = []
        for module in imported_modules(path, root):
            top = module.split(".")[0]
            if top in ALLOWED and not _inside(path, ALLOWED[top], root):
                bad.append(module)
            if _inside(path, NEUTRAL, root) and module.startswith(ADAPTERS):
                bad.append(module)
        if bad:
            breaches[path.relative_to(root).as_posix()] = sorted(set(bad))
    return breaches


def test_each_library_stays_behind_its_boundary() -> None:
    assert boundary_breaches() == {}


def test_the_adapter_folders_exist_where_the_boundaries_say() -> None:
    for folder in {*NEUTRAL, *(f for folders in ALLOWED.values() for f in folders)}:
        assert (ROOT / folder).is_dir(), folder


def test_the_checker_sees_each_kind_of_breach(tmp_path: Path) -> None:
    files = {
        "bot/cli/discord.py": "def run():\n    import discord.http\n",  # inside a function still counts
        "bot/moderation/x.py": "import sqlite3\n",
        "bot/runtime/y.py": "from bot.slack.notifier import SlackNotifier\n",
        "bot/detection/z.py": "from cogs.moderation import message_event\n",
        "bot/slack/ok.py": "import slack_sdk\nfrom slack_bolt.async_app import AsyncApp\n",
        "bot/store/ok.py": "import aiosqlite\nimport sqlite3\nimport asyncpg\nfrom sqlalchemy import text\n",
        "bot/runtime/db.py": "from sqlalchemy.ext.asyncio import AsyncEngine\n",
        "bot/discord/ok.py": "import discord\n",
        "cogs/ok.py": "from discord.ext import commands\nfrom bot.discord.ui import NudgeFeedbackButton\n",
        "bot/discord/bad.py": "from slack_sdk.errors import SlackApiError\n",
        "bot/runtime/rel.py": "from ..slack import blocks\n",  # relative imports are resolved
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert boundary_breaches(tmp_path) == {
        "bot/cli/discord.py": ["discord.http"],
        "bot/detection/z.py": ["cogs.moderation"],
        "bot/discord/bad.py": ["slack_sdk.errors"],
        "bot/moderation/x.py": ["sqlite3"],
        "bot/runtime/db.py": ["sqlalchemy.ext.asyncio"],
        "bot/runtime/rel.py": ["bot.slack"],
        "bot/runtime/y.py": ["bot.slack.notifier"],
    }
