"""Fixtures for end-to-end Discord tests: the fake Discord, a guild with members, the core and a running bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core import Core, build_scanner, open_core
from bot.detection.scanner import Scanner
from bot.models import Community, Platform
from bot.settings import Settings, load_settings
from tests.discord.support import RunningBot, World, close_core, start_bot
from tests.fakes.discord_server import FakeDiscord


@pytest.fixture(scope="session")
def shared_scanner() -> Scanner:
    """Compiling the rule packs takes a while: build the real scanner once for the session."""
    return build_scanner(load_settings(env_file=None, environ={}))


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord on a free loopback port, with discord.py pointed at it."""
    server = FakeDiscord()
    await server.start()
    restore = server.redirect()
    try:
        yield server
    finally:
        restore()
        await server.stop()


@pytest.fixture
def world(fake: FakeDiscord) -> World:
    """A student-society guild: #general, #committee-alerts, #freshers, a thread, members and a committee."""
    return make_world(fake)


def make_world(fake: FakeDiscord) -> World:
    """Add the `world` fixture's guild to a fake (for fixtures of a wider scope)."""
    guild = fake.add_guild("Leicester Hiking Society")
    committee = fake.add_role(guild, "Committee")
    general = fake.channel(guild, "general")
    return World(
        fake=fake, guild=guild, general=general, alerts=fake.add_text_channel(guild, "committee-alerts"),
        freshers=fake.add_text_channel(guild, "freshers"), thread=fake.add_thread(guild, general, "trip-planning"),
        committee_role=committee, alice=fake.add_member(guild, "alice"), bob=fake.add_member(guild, "bob"),
        chair=fake.add_member(guild, "chair", [committee]), helper_bot=fake.add_member(guild, "dyno", bot=True))


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """Settings as `.env` would give them, with the fake's token and a database in tmp_path."""
    return make_settings(tmp_path, fake)


def make_settings(folder: Path, fake: FakeDiscord) -> Settings:
    """The `settings` fixture's settings, with the database in `folder`."""
    return load_settings(env_file=None, environ={"NUDGEBOT_DB": str(folder / "nudgebot.db"),
                                                 "DISCORD_TOKEN": fake.token})


@pytest.fixture
def open_test_core(settings: Settings, shared_scanner: Scanner) -> Callable[[], Any]:
    """Open a core on the test database (call again to simulate a new process after a restart)."""
    opened: list[Core] = []

    async def opener() -> Core:
        core = await open_core(settings, scanner=shared_scanner)
        opened.append(core)
        return core

    return opener


@pytest.fixture
async def core(open_test_core: Callable[[], Any], world: World) -> AsyncIterator[Core]:
    """The moderation core, with the guild's committee role and alert channel saved as /nudgebot setup would."""
    opened: Core = await open_test_core()
    await save_setup(opened, world)
    try:
        yield opened
    finally:
        await close_core(opened)


async def save_setup(core: Core, world: World) -> None:
    """Save the guild's committee role and alert channel, as /nudgebot setup would."""
    await core.store.save_community(
        Community(platform=Platform.DISCORD, community_id=world.guild_id, name=world.guild.name,
                  committee_role=str(world.committee_role), alert_channel=str(world.alerts)),
        datetime.now(UTC))


@pytest.fixture
async def running(fake: FakeDiscord, core: Core, settings: Settings) -> AsyncIterator[RunningBot]:
    """The bot, connected and ready."""
    started = await start_bot(fake, core, settings)
    try:
        yield started
    finally:
        if not started.bot.is_closed():
            await started.stop()
