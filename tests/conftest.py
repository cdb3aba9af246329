"""Shared fixtures: every test builds what it needs in tmp_path."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.cli_inprocess import InProcessCli
from tests.postgres import emptied, worker_database

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_worker_database() -> Iterator[str]:
    """This test process's migrated PostgreSQL database, made at its first PostgreSQL test (see tests/postgres.py)."""
    with worker_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
async def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Path | str]:
    """Where a test's store lives, once on each backend: a fresh SQLite file, or this process's PostgreSQL
    database, migrated and emptied."""
    if request.param == "sqlite":
        yield tmp_path / "n.db"
        return
    yield await emptied(request.getfixturevalue("pg_worker_database"))


@pytest.fixture
def nudgebot_cmd() -> list[str]:
    """The real CLI, run as a subprocess with the interpreter under test."""
    return [sys.executable, "-m", "bot"]


@pytest.fixture(scope="session", autouse=True)
def scanner_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One built-scanner cache for the session, never the developer's own: CLI runs after the first start fast."""
    directory = tmp_path_factory.mktemp("scanner-cache")
    previous = os.environ.get("NUDGEBOT_CACHE_DIR")
    os.environ["NUDGEBOT_CACHE_DIR"] = str(directory)
    yield directory
    if previous is None:
        os.environ.pop("NUDGEBOT_CACHE_DIR", None)
    else:
        os.environ["NUDGEBOT_CACHE_DIR"] = previous


@pytest.fixture
def clean_env(tmp_path: Path, scanner_cache_dir: Path) -> dict[str, str]:
    """An environment for CLI subprocesses with no nudgebot settings leaking in from the developer's shell (but the
    session's scanner cache), nor a terminal size: the output is captured, not shown on a terminal (pytest-xdist's
    workers have COLUMNS=80 set)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_")) and k not in ("COLUMNS", "LINES")}
    env["NUDGEBOT_DB"] = str(tmp_path / "nudgebot.db")
    env["NUDGEBOT_CACHE_DIR"] = str(scanner_cache_dir)
    return env


@pytest.fixture
def cli(clean_env: dict[str, str]) -> InProcessCli:
    """The real CLI called in this process, `cli("scan", stdin=...)`, with `clean_env` as its environment (pass
    env= or cwd= to change them); `nudgebot_cmd` stays for each command's one subprocess smoke test."""
    return InProcessCli(clean_env)


@pytest.fixture(scope="session", autouse=True)
def no_secrets_or_content_in_logs() -> Iterator[None]:
    """The whole session runs with logging at INFO; at the end no record may hold a token, a secret or the text
    of a message the tests sent (message content belongs at DEBUG only; tokens nowhere).

    Tokens are collected as they are made (every `Secret`, every fake's token; the shapes of Discord and Slack
    tokens are searched for too) and message texts as the fakes send them, by wrapping test helpers only.
    """
    from bot.settings import Secret
    from tests.fakes import slack_events
    from tests.fakes.discord_server import FakeDiscord
    from tests.privacy.registry import REGISTRY, Capture, wrap

    undo = [
        wrap(Secret, "__init__", lambda _self, value: REGISTRY.secret(value)),
        wrap(FakeDiscord, "start", lambda fake: REGISTRY.secret(fake.token)),
        wrap(FakeDiscord, "post_message", lambda _f, _c, _a, content, **_: REGISTRY.content(content)),
        wrap(FakeDiscord, "edit_message", lambda _f, _m, content: REGISTRY.content(content)),
        wrap(slack_events, "message", lambda _u, _c, text, **_: REGISTRY.content(text)),
        wrap(slack_events, "edit", lambda _o, text, **_: REGISTRY.content(text)),
    ]
    root = logging.getLogger()
    handler = Capture(REGISTRY, logging.INFO)
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for step in undo:
            step()
    for module, names in (("tests.fakes.slack_server", ("BOT_TOKEN", "APP_TOKEN")),
                          ("tests.slack.conftest", ("SIGNING_SECRET",)), ("tests.slack.load", ("SECRET",))):
        with contextlib.suppress(ImportError):
            imported = importlib.import_module(module)
            for name in names:
                REGISTRY.secret(getattr(imported, name, None))
    problems = REGISTRY.problems()
    assert not problems, (f"{len(problems)} log record(s) at INFO or above leak a secret or message content:\n"
                          + "\n".join(sorted(set(problems))[:40]))
