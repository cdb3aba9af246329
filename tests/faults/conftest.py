"""Fixtures for the fault tests: the Discord end-to-end fixtures (reused by import), a core on its own database,
and a small real filesystem that can be filled up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core import Core, open_core
from bot.detection.scanner import Scanner
from bot.settings import Settings, load_settings
from tests.discord.conftest import core, fake, open_test_core, running, shared_scanner, world
from tests.discord.support import RunningBot, close_core, start_bot
from tests.fakes.discord_server import FakeDiscord
from tests.faults.support import SmallDisk

__all__ = ["core", "fake", "open_test_core", "running", "shared_scanner", "world"]

RETRY_SECONDS = 0.2  # the outbox retry's interval in these tests (30 s in production)


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """As the Discord tests', with no nudge window: every incident has its own nudge, so nudges can be counted."""
    return load_settings(env_file=None, environ={"NUDGEBOT_DB": str(tmp_path / "nudgebot.db"),
                                                 "DISCORD_TOKEN": fake.token, "NUDGEBOT_NUDGE_WINDOW_HOURS": "0"})


@pytest.fixture
async def retrying(fake: FakeDiscord, core: Core, settings: Settings) -> AsyncIterator[RunningBot]:
    """The bot, connected and ready, retrying its outbox every RETRY_SECONDS."""
    started = await start_bot(fake, core, settings, outbox_retry_seconds=RETRY_SECONDS)
    try:
        yield started
    finally:
        if not started.bot.is_closed():
            await started.stop()


@pytest.fixture
def core_settings(tmp_path: Path) -> Settings:
    """Settings for a core-level test: its own database, no nudge window."""
    return load_settings(env_file=None, environ={"NUDGEBOT_DB": str(tmp_path / "core.db"),
                                                 "NUDGEBOT_NUDGE_WINDOW_HOURS": "0"})


@pytest.fixture
async def bare_core(core_settings: Settings, shared_scanner: Scanner) -> AsyncIterator[Core]:
    """A moderation core with no platform attached."""
    opened = await open_core(core_settings, scanner=shared_scanner)
    try:
        yield opened
    finally:
        await close_core(opened)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 16 MB tmpfs mounted for this test (skipped where mounting is not allowed, e.g. without root)."""
    disk = SmallDisk(tmp_path / "disk")
    if not disk.mount():
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
    try:
        yield disk
    finally:
        disk.unmount()
