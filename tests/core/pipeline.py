"""Shared pieces for the moderation-pipeline tests: a simulated clock, message events and a real core on tmp_path."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest

from bot.core import Core, open_core
from bot.detection.clauses import PolicyBook, load_policy
from bot.detection.scanner import Scanner, load_default_scanner
from bot.models import MessageEvent, Platform
from bot.settings import Settings, load_settings

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_ids = count(1)


class SimClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_settings(tmp_path: Path, **environ: str) -> Settings:
    """Settings as the bot would load them, with the database in tmp_path."""
    return load_settings(None, environ={"NUDGEBOT_DB": str(tmp_path / "nudgebot.db"), **environ})


def message(clock: SimClock, text: str, *, author: str = "u1", targets: tuple[str, ...] = (),
            channel: str = "c1", community: str = "g1", message_id: str | None = None, revision: int = 0,
            platform: Platform = Platform.DISCORD) -> MessageEvent:
    """A message posted now (on the simulated clock)."""
    return MessageEvent(platform=platform, community_id=community, channel_id=channel,
                        message_id=message_id or f"m{next(_ids)}", author_id=author, author_name=f"name-{author}",
                        text=text, created_at=clock(), revision=revision, is_edit=revision > 0, targets=targets,
                        permalink=f"https://chat.example/{channel}")


def edit(original: MessageEvent, clock: SimClock, text: str, revision: int = 1) -> MessageEvent:
    """An edit of `original` made now."""
    return replace(original, text=text, revision=revision, is_edit=True, created_at=clock())


@pytest.fixture(scope="session")
def scanner() -> Scanner:
    """The default scanner, built once per test session."""
    return load_default_scanner()


@pytest.fixture(scope="session")
def policy() -> PolicyBook:
    """The bundled clause book."""
    return load_policy()


@pytest.fixture
def clock() -> SimClock:
    """Simulated time, starting on a Monday morning."""
    return SimClock()


@pytest.fixture
async def core(tmp_path: Path, scanner: Scanner, policy: PolicyBook, clock: SimClock) -> AsyncIterator[Core]:
    """The real core on a fresh SQLite file, with default settings and the simulated clock."""
    opened = await open_core(make_settings(tmp_path), clock=clock, scanner=scanner, policy=policy)
    try:
        yield opened
    finally:
        await opened.close()


async def fail_fast_when_locked(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the real store give up on a locked database at once instead of retrying for seconds."""
    import bot.store as store_package

    for module in [store_package, *(m for name, m in sys.modules.items() if name.startswith("bot.store."))]:
        if hasattr(module, "LOCK_RETRIES"):
            monkeypatch.setattr(module, "LOCK_RETRIES", 0 if module.__name__ == "bot.store.incidents" else 1)
    await (await core.store.sqlite_connection()).execute("PRAGMA busy_timeout = 20")
