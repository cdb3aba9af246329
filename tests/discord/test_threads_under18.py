"""End to end: a thread takes its parent channel's audience, so a thread under an under-18 channel gets clause 5.2."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from bot.core import Core
from bot.models import Platform
from tests.discord.support import RunningBot, World, embed_text, incident_rows

SWEARING = "fucking hell this is shit"  # fine among adults; clause 5.2 where members may be under 18


async def test_a_thread_under_an_under18_channel_gets_clause_5_2(running: RunningBot, world: World, core: Core,
                                                                 settings) -> None:
    fake = world.fake
    community = await core.store.get_community(Platform.DISCORD, world.guild_id)
    await core.store.save_community(replace(community, under18_channels=(str(world.freshers),)), datetime.now(UTC))
    running.bot.communities.invalidate(world.guild_id)
    freshers_thread = fake.add_thread(world.guild, world.freshers, "freshers-week-plans")

    await fake.post_message(world.thread, world.alice, SWEARING)  # a thread under #general: adults
    posted = await fake.post_message(freshers_thread, world.bob, SWEARING)
    dms = await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge")
    await running.idle(fake, received=2)

    rows = incident_rows(settings.db_path)
    assert [(r["message_id"], r["channel_id"]) for r in rows] == [(posted["id"], str(freshers_thread))]
    assert json.loads(rows[0]["clauses"])[0] == "5.2"
    assert "clause 5.2" in embed_text(dms[0])
    assert fake.dms_to(world.alice) == []
