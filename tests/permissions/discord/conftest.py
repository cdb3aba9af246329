"""Two guilds on one fake Discord: the society under test and another server whose committee tries to reach in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.core import Core
from bot.models import IncidentQuery
from bot.review import operator_principal
from bot.settings import Settings
from tests.discord.conftest import core, fake, open_test_core, settings, shared_scanner, world
from tests.discord.support import RunningBot, World, start_bot
from tests.fakes import discord_payloads as P
from tests.fakes.discord_server import FakeDiscord, FakeGuild

__all__ = ["core", "fake", "open_test_core", "settings", "shared_scanner", "world"]

HATE = "honestly women are vermin"  # a serious breach: a nudge to the poster and an alert with buttons


@dataclass
class Scene:
    """Guild A with one incident (its nudge DM and its alert), guild B next door, and who acts."""

    world: World
    bot: RunningBot
    incident_id: int
    excerpt_words: tuple[str, ...]
    alert: dict[str, Any]
    nudge: dict[str, Any]
    admin: int  # guild A: Manage Server, not the committee role
    other_guild: FakeGuild
    other_channel: int
    outsider: int  # guild B's own committee member with Manage Server there

    @property
    def fake(self) -> FakeDiscord:
        return self.world.fake


@pytest.fixture
async def scene(fake: FakeDiscord, world: World, core: Core, settings: Settings) -> AsyncIterator[Scene]:
    """The bot running on both guilds, after alice's breach in guild A made incident, nudge and alert."""
    managers = fake.add_role(world.guild, "Admins", P.MANAGE_GUILD)
    admin = fake.add_member(world.guild, "sysadmin", [managers])
    other = fake.add_guild("Another University Society")
    other_committee = fake.add_role(other, "Committee", P.MANAGE_GUILD)
    outsider = fake.add_member(other, "rival", [other_committee])
    other_channel = fake.channel(other, "general")
    running = await start_bot(fake, core, settings)
    try:
        await fake.post_message(world.general, world.alice, HATE)
        nudge = (await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge DM"))[0]
        alert = (await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="the alert"))[0]
        await running.idle(fake, received=1)
        (incident,) = await core.review.list(operator_principal(), IncidentQuery())
        yield Scene(world=world, bot=running, incident_id=incident.id, excerpt_words=("vermin",), alert=alert,
                    nudge=nudge, admin=admin, other_guild=other, other_channel=other_channel, outsider=outsider)
    finally:
        if not running.bot.is_closed():
            await running.stop()

