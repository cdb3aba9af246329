"""Helpers for the end-to-end Discord tests: a running bot, and reading what the bot did."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core import Core
from bot.discord.app import NudgeBot, build_bot
from bot.settings import Settings
from tests.fakes.discord_server import FakeDiscord, FakeGuild

READY_TIMEOUT = 20.0


async def close_core(core: Core) -> None:
    """Close a core once (a test that simulates a restart closes it before the fixture would)."""
    # Core.close is idempotent; an id()-keyed registry is not (ids are reused once a core is collected).
    await core.close()


@dataclass
class World:
    """The guild the tests play in, and who is in it."""

    fake: FakeDiscord
    guild: FakeGuild
    general: int
    alerts: int
    freshers: int
    thread: int
    committee_role: int
    alice: int  # an ordinary member
    bob: int  # another ordinary member
    chair: int  # on the committee (role only, no Manage Server)
    helper_bot: int  # some other bot in the server

    @property
    def guild_id(self) -> str:
        return str(self.guild.id)


class RunningBot:
    """A bot connected to the fake; `stop()` closes it and its connection task."""

    def __init__(self, bot: NudgeBot, task: asyncio.Task[None]) -> None:
        self.bot = bot
        self.task = task

    def assert_alive(self) -> None:
        """The connection task must still be running: a payload discord.py cannot parse ends it silently."""
        if self.task.done():
            error = self.task.exception() if not self.task.cancelled() else None
            raise AssertionError(f"the bot's connection task ended: {error!r}")

    async def idle(self, fake: FakeDiscord, timeout: float = 20.0, received: int = 0) -> None:
        """Wait until the bot has received at least `received` messages and moderated and delivered all it got."""
        cog: Any = self.bot.get_cog("Moderation")

        def settled() -> bool:
            return cog.received >= received and cog.backlog == 0 and self.bot.delivery.alert_backlog == 0

        await fake.wait_for(settled, timeout, "the moderation queues to empty")
        self.assert_alive()

    async def stop(self) -> None:
        """Close the bot (drains its queues) and wait for the connection task to end."""
        self.assert_alive()
        await self.bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, 10)


async def start_bot(fake: FakeDiscord, core: Core, settings: Settings, **options: Any) -> RunningBot:
    """Build the real bot, log in to the fake and wait until it is ready with the guilds loaded."""
    bot = build_bot(core, settings, guild_ready_timeout=0.05, **options)
    assert settings.discord_token is not None
    await bot.login(settings.discord_token.reveal())
    task = asyncio.create_task(bot.connect())
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({ready, task}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        await bot.close()
        raise AssertionError(f"bot not ready; connection task: {task}")
    running = RunningBot(bot, task)
    running.assert_alive()
    # on_ready starts the outbox; wait for it so tests start from a settled bot.
    cog: Any = bot.get_cog("Moderation")
    await fake.wait_for(lambda: cog.outbox_done, READY_TIMEOUT, "the outbox run")
    return running


def incident_rows(db_path: Path) -> list[dict[str, Any]]:
    """The incidents table, read straight from the SQLite file."""
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM incidents ORDER BY id")]


def custom_ids(message: dict[str, Any]) -> list[str]:
    """Every button custom_id on a message as Discord stored it."""
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])
            if "custom_id" in c]


def embed_text(message: dict[str, Any]) -> str:
    """All the words of a message's embeds, for assertions."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds", []):
        parts += [embed.get("title", ""), embed.get("description", "")]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields", [])]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(parts)
