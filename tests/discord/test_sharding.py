"""The bot is auto-sharded: with two shards, each guild's events arrive on its own shard and all are moderated."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.models import Community, Platform
from bot.settings import Secret
from tests.discord.support import incident_rows, start_bot
from tests.fakes.discord_server import FakeDiscord

BREACH = "text Priya on 07700 900123, that's her number"


async def test_two_shards_each_moderate_their_guilds(open_test_core, settings) -> None:
    fake = FakeDiscord(shards=2)
    await fake.start()
    restore = fake.redirect()
    try:
        guilds = {}
        while len(guilds) < 2:  # one guild on each shard: shard = (guild_id >> 22) % 2
            guild = fake.add_guild(f"Society {len(fake.guilds)}")
            guilds.setdefault((guild.id >> 22) % 2, guild)
        settings = replace(settings, discord_token=Secret(fake.token))
        core = await open_test_core()
        for guild in guilds.values():
            await core.store.save_community(Community(platform=Platform.DISCORD, community_id=str(guild.id)),
                                            datetime.now(UTC))
        running = await start_bot(fake, core, settings)
        try:
            assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
            assert len(fake.sessions()) == 2
            members = [fake.add_member(g, f"poster{i}") for i, g in guilds.items()]
            for member, guild in zip(members, guilds.values(), strict=True):
                await fake.post_message(fake.channel(guild, "general"), member, BREACH)
            await fake.wait_for(lambda: all(fake.dms_to(m) for m in members), what="a nudge in each guild")
            await running.idle(fake, received=2)
            assert sorted(r["community_id"] for r in incident_rows(settings.db_path)) == sorted(
                str(g.id) for g in guilds.values())
        finally:
            await running.stop()
            await core.close()
    finally:
        restore()
        await fake.stop()
