"""End to end on a simulated clock: the running Discord bot purges on its daily schedule, with no operator."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.core import open_core
from bot.models import Community, DeliveryStatus, Platform
from tests.core.test_store_methods import new
from tests.core.test_store_purge_daily import SimulatedDays
from tests.discord.support import World, incident_rows, start_bot

BREACH = "text Priya on 07700 900123, that's her number"  # personal data: clause 5.5.5
RETENTION_DAYS = 30


async def test_the_running_bot_purges_an_incident_past_retention_and_keeps_a_fresh_one(
        world: World, settings, shared_scanner) -> None:
    fake = world.fake
    days = SimulatedDays(datetime.now(UTC))
    core = await open_core(settings, scanner=shared_scanner, clock=days.clock, sleep=days.sleep)
    try:
        await core.store.save_community(
            Community(platform=Platform.DISCORD, community_id=world.guild_id, alert_channel=str(world.alerts),
                      retention_days=RETENTION_DAYS), days.now)
        # Recorded by an earlier run, 29 and a half days ago: inside the period at start, past it a day later.
        month_old = replace(new("1000", community=world.guild_id, at=days.now - timedelta(days=29, hours=12),
                                delivery=DeliveryStatus.DELIVERED), excerpt="text P**** on 07*********")
        old_id, _ = await core.store.record_incident(month_old)
        running = await start_bot(fake, core, settings)
        try:
            await asyncio.wait_for(days.sleeping.wait(), 10)  # the run at start is done: it kept the month-old one
            assert _excerpts(settings) == {old_id: month_old.excerpt}

            posted = await fake.post_message(world.general, world.alice, BREACH)
            await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge")
            await running.idle(fake)
            fresh = next(r for r in incident_rows(settings.db_path) if r["message_id"] == posted["id"])
            assert fresh["excerpt"]

            await days.next_day()  # the scheduled run, a simulated day later
            rows = {r["id"]: r for r in incident_rows(settings.db_path)}
            assert rows[old_id]["excerpt"] == "" and rows[old_id]["content_purged_at"] is not None
            assert json.loads(rows[old_id]["clauses"]) == ["5.5.1"]  # the metadata stays for the statistics
            assert rows[fresh["id"]]["excerpt"] == fresh["excerpt"]
            assert rows[fresh["id"]]["content_purged_at"] is None
            assert days.slept == [86_400.0, 86_400.0]
        finally:
            await running.stop()
        assert not core.purge.running
    finally:
        await core.close()


def _excerpts(settings) -> dict[int, str]:
    return {r["id"]: r["excerpt"] for r in incident_rows(settings.db_path)}
