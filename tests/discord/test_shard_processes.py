"""Several `nudgebot discord` processes on one database, each running some of the app's shards (the real CLI as
subprocesses against the sharded fake Discord): every guild's messages reach exactly one process, and every
breach is recorded once and nudged once, whichever process saw it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core import open_core
from bot.models import Community, Platform
from bot.settings import load_settings
from bot.store import Store
from tests.discord.load import BotProcess, read_incidents
from tests.discord.support import embed_text
from tests.fakes.discord_server import FakeDiscord, FakeGuild

SHARDS = 4
# Made up for these tests: a poster sharing someone else's number, and an ordinary message.
BREACH = "ring Tomasz on 07700 900456, he won't mind"
CLEAN = "the quiz starts at eight in the union bar"
INSULTS = ("shut up you pathetic idiot", "sit down, you pathetic idiot", "nobody asked you, pathetic idiot")
SETTLE_SECONDS = 120.0
READY_SECONDS = 400.0  # two processes loading the rules at once on a busy machine
# Several real bot processes start, connect and stop in each case: on a loaded machine that outlasts the default.
pytestmark = pytest.mark.timeout(900)
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d [\d:,]+ [A-Z]+ [\w.]+: ")  # a record's line, not a traceback's


@dataclass
class Scene:
    """The fake Discord with one guild on each shard, two members in each, and the database they share."""

    fake: FakeDiscord
    guilds: list[FakeGuild]
    members: dict[int, list[int]]  # guild id -> member ids
    db_path: Path  # where the processes' logs (and an SQLite store) go
    database: str  # NUDGEBOT_DB: the SQLite file or a postgresql:// URL


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The store the processes share: an SQLite file (one machine), or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield str(tmp_path / "nudgebot.db")
        return
    from tests.postgres import fresh_database

    async with fresh_database() as url:
        yield url


async def _set_up(fake: FakeDiscord, database: str, guilds: list[FakeGuild]) -> None:
    """The schema, and each guild's alert channel saved as /nudgebot setup would."""
    core = await open_core(load_settings(env_file=None, environ={"NUDGEBOT_DB": database}))
    try:
        for guild in guilds:
            alerts = fake.add_text_channel(guild, "committee-alerts")
            await core.store.save_community(Community(platform=Platform.DISCORD, community_id=str(guild.id),
                                                      alert_channel=str(alerts)), datetime.now(UTC))
    finally:
        await core.close()


@pytest.fixture
async def scene(tmp_path: Path, database: str) -> AsyncIterator[Scene]:
    fake = FakeDiscord(shards=SHARDS)
    await fake.start()
    try:
        guilds = [fake.add_guild(f"Society {n}", shard=(n, SHARDS)) for n in range(SHARDS)]
        members = {g.id: [fake.add_member(g, f"member{n}-{i}") for i in range(2)] for n, g in enumerate(guilds)}
        await _set_up(fake, database, guilds)
        yield Scene(fake, guilds, members, tmp_path / "nudgebot.db", database)
    finally:
        await fake.stop()


async def _post_everywhere(scene: Scene) -> list[str]:
    """Each member of each guild posts one breach and one ordinary message; the breaches' message ids."""
    breaches = []
    for guild in scene.guilds:
        general = scene.fake.channel(guild, "general")
        for member in scene.members[guild.id]:
            breaches.append((await scene.fake.post_message(general, member, BREACH))["id"])
            await scene.fake.post_message(general, member, CLEAN)
    return breaches


def _shards_logged(log: str) -> set[str]:
    return set(re.findall(r" shard_id=(\d+)", log))


async def test_two_processes_with_half_the_shards_each_record_and_nudge_every_breach_once(scene: Scene) -> None:
    fake = scene.fake
    first = await BotProcess.launch(fake, scene.db_path, 0, shards=([0, 1], SHARDS), database=scene.database,
                                    name="first")
    second = await BotProcess.launch(fake, scene.db_path, 0, shards=([2, 3], SHARDS), database=scene.database,
                                     name="second")
    try:
        await first.wait_ready(fake, SHARDS, READY_SECONDS)
        await second.wait_ready(fake, SHARDS, READY_SECONDS)
        assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(n, SHARDS) for n in range(SHARDS)]
        breaches = await _post_everywhere(scene)
        await first.wait_until_settled(fake, scene.db_path, len(breaches), SETTLE_SECONDS,
                                       read_rows=lambda: read_incidents(scene.database))
        handled = [await first.stop(), await second.stop()]
    finally:
        await first.kill()
        await second.kill()

    rows = await read_incidents(scene.database)
    assert Counter(r["message_id"] for r in rows) == Counter(breaches)  # every breach once, nothing else
    assert all(r["delivery_status"] == "delivered" for r in rows)
    for members in scene.members.values():
        for member in members:
            assert len(fake.dms_to(member)) == 1  # nudged once, by whichever process had its guild
    assert handled == [8, 8]  # each process: its two guilds' four members' two messages each, no other guild's
    first_log, second_log = first.log_path.read_text(), second.log_path.read_text()
    assert _shards_logged(first_log) == {"0", "1"} and _shards_logged(second_log) == {"2", "3"}
    assert f"workspace_id={scene.guilds[0].id}" in first_log and f"workspace_id={scene.guilds[3].id}" in second_log
    lines = [line for line in first_log.splitlines() if LOG_LINE.match(line)]
    assert lines and all("shards=0,1" in line for line in lines)  # every line names the process's shards
    shard_of = {str(guild.id): str(number) for number, guild in enumerate(scene.guilds)}
    for log, name in ((first_log, "first"), (second_log, "second")):
        for line in (line for line in log.splitlines() if LOG_LINE.match(line)):
            named = {guild for guild in shard_of if guild in line}
            if named or "incident_id=" in line:  # about a guild (or its incident): which guild, on which shard
                assert len(named) == 1, (name, line)
                guild = named.pop()
                assert f"workspace_id={guild}" in line and f"shard_id={shard_of[guild]}" in line, (name, line)


async def test_two_processes_on_the_same_shards_record_nudge_escalate_and_purge_once(tmp_path: Path,
                                                                                   database: str) -> None:
    """As while one process takes over from another (a rolling restart): both get every event of the guild."""
    fake = FakeDiscord(shards=2)
    await fake.start()
    try:
        guild = fake.add_guild("Debating Society", shard=(0, 2))
        poster, target = fake.add_member(guild, "heckler"), fake.add_member(guild, "speaker")
        await _set_up(fake, database, [guild])
        alerts = fake.channel(guild, "committee-alerts")
        db_path = tmp_path / "nudgebot.db"
        bots = [await BotProcess.launch(fake, db_path, 0, shards=([0, 1], 2), database=database, name=name)
                for name in ("old", "new")]
        try:
            for bot in bots:
                await bot.wait_ready(fake, 4, READY_SECONDS)
            general = fake.channel(guild, "general")
            posted = [(await fake.post_message(general, poster, f"<@{target}> {insult}", mentions=[target]))["id"]
                      for insult in INSULTS]
            await bots[0].wait_until_settled(fake, db_path, len(posted), SETTLE_SECONDS,
                                             read_rows=lambda: read_incidents(database))
            await fake.wait_for(lambda: _escalation_alerts(fake, alerts), SETTLE_SECONDS, "the escalation alert")
            handled = [await bot.stop() for bot in bots]
        finally:
            for bot in bots:
                await bot.kill()
        rows = await read_incidents(database)
        assert sorted(r["message_id"] for r in rows) == sorted(posted)  # both saw each message: recorded once
        assert len(fake.dms_to(poster)) == len(posted)  # one nudge per message, not one per process
        assert handled == [len(posted), len(posted)]
        assert len(_escalation_alerts(fake, alerts)) == 1  # the third insult escalates once, whoever counted it
        assert len(await _escalations(database, str(guild.id))) == 1
        logs = [bot.log_path.read_text() for bot in bots]
        assert sorted(log.count("retention purge done") for log in logs) == [0, 1]  # one purge for the day
    finally:
        await fake.stop()


async def _escalations(database: str, community_id: str) -> list[object]:
    store = await Store.open(database)
    try:
        return list(await store.list_escalations(Platform.DISCORD, community_id))
    finally:
        await store.close()


def _escalation_alerts(fake: FakeDiscord, channel: int) -> list[dict[str, object]]:
    return [e for m in fake.bot_messages(channel) for e in m["embeds"] if "4.3" in embed_text({"embeds": [e]})]


async def test_a_shard_that_cannot_exist_is_a_usage_error(tmp_path: Path) -> None:
    import asyncio
    import sys

    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "discord", "--shards", "2-4", "--shard-count", "4",
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await process.communicate()
    assert process.returncode == 2
    assert "shard 4 does not exist with --shard-count 4" in err.decode()
