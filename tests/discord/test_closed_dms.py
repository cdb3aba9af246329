"""A member whose DMs are closed is remembered in the store for a day: their next nudges are not attempted (no more
refused requests toward Discord's invalid-request limit), yet each incident is recorded and the committee alerted,
by this process, after a restart, or by another process on the same database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.closed_dms import REMEMBERED
from bot.core import Core
from bot.models import Platform
from bot.settings import Settings
from tests.discord.conftest import make_settings, save_setup
from tests.discord.support import World, close_core, incident_rows, start_bot
from tests.fakes.discord_server import FakeDiscord

# Made up for these tests: a poster sharing a flatmate's phone number, twice.
FIRST = "text Ines on 07700 900321 if the door's locked"
SECOND = "or ring Ines on 07700 900321 later"
DM_ROUTE = "POST /channels/{channel_id}/messages"


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """Every breach is nudged (no window of quiet after a nudge), so the second nudge is due and held back."""
    return replace(make_settings(tmp_path, fake), nudge_window_hours=0)


async def post_each_awaiting_its_alert(world: World, author: int, *texts: str) -> None:
    """`author` posts each text in #general, each time waiting for the committee's next alert."""
    fake = world.fake
    for number, text in enumerate(texts, start=len(fake.bot_messages(world.alerts)) + 1):
        await fake.post_message(world.general, author, text)
        await fake.wait_for(lambda: len(fake.bot_messages(world.alerts)) >= number,  # noqa: B023 (awaited here)
                            what=f"alert {number}")


def refused(world: World) -> int:
    """DMs Discord refused with 50007 so far."""
    return sum(1 for r in world.fake.calls(DM_ROUTE, status=403) if r.response["code"] == 50007)


async def test_closed_dms_are_asked_once_and_remembered_across_a_restart(world: World, core: Core,
                                                                        settings: Settings,
                                                                        open_test_core: Callable[[], Any]) -> None:
    fake = world.fake
    fake.refuse_dms(world.alice)
    running = await start_bot(fake, core, settings)
    try:
        await post_each_awaiting_its_alert(world, world.alice, FIRST, SECOND)
        await running.idle(fake, received=2)
    finally:
        await running.stop()
        await close_core(core)
    assert refused(world) == 1  # asked once; the second nudge was not sent toward a closed door
    rows = incident_rows(settings.db_path)
    assert [(r["delivery_status"], r["delivery_reason"]) for r in rows] == [("refused", "50007"),
                                                                          ("refused", REMEMBERED)]

    restarted = await open_test_core()  # a new process on the same database: the store remembers
    await save_setup(restarted, world)
    running = await start_bot(fake, restarted, settings)
    try:
        await fake.post_message(world.general, world.alice, FIRST + " tonight")
        await fake.wait_for(lambda: len(fake.bot_messages(world.alerts)) == 3, what="the third refusal's alert")
        await running.idle(fake, received=1)
    finally:
        await running.stop()
        await close_core(restarted)
    assert refused(world) == 1
    assert len(incident_rows(settings.db_path)) == 3


async def test_a_member_with_open_dms_is_not_held_back_by_another_who_closed_them(world: World, core: Core,
                                                                                 settings: Settings) -> None:
    fake = world.fake
    fake.refuse_dms(world.alice)
    running = await start_bot(fake, core, settings)
    try:
        await fake.post_message(world.general, world.alice, FIRST)
        await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="alice's refusal alert")
        await fake.post_message(world.general, world.bob, SECOND)
        await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge")
        await running.idle(fake, received=2)
    finally:
        await running.stop()
    assert [r["delivery_status"] for r in incident_rows(settings.db_path)] == ["refused", "delivered"]


# Made up for this test: a member who may be struggling, twice.
LOW = "i don't think i can keep going, some nights i want to end it all"
LOWER = "still feel like i want to end it all, sorry for the mood"


async def test_welfare_notes_share_the_closed_dms_memory_and_the_committee_hears(world: World, core: Core,
                                                                                settings: Settings) -> None:
    fake = world.fake
    fake.refuse_dms(world.alice)
    community = await core.store.get_community(Platform.DISCORD, world.guild_id)
    await core.store.save_community(replace(community, welfare_alerts=True), datetime.now(UTC))
    running = await start_bot(fake, core, settings)
    try:
        # Two welfare signals, then a breach whose nudge meets the same memory; each ends in an alert.
        await post_each_awaiting_its_alert(world, world.alice, LOW, LOWER, FIRST)
        await running.idle(fake, received=3)
    finally:
        await running.stop()
    assert refused(world) == 1  # the first welfare note was asked once; nothing after it
    assert fake.dms_to(world.alice) == []
    summaries = [str(m["embeds"]) for m in fake.bot_messages(world.alerts)]
    assert all("sent them a private pointer" not in s for s in summaries[:2])
    assert "could not send them its private pointer" in summaries[0] and "(50007)" in summaries[0]
    assert "could not send them its private pointer" in summaries[1] and f"({REMEMBERED})" in summaries[1]
    rows = incident_rows(settings.db_path)  # the welfare notes made no incident; the breach did, refused
    assert [(r["delivery_status"], r["delivery_reason"]) for r in rows] == [("refused", REMEMBERED)]
    with sqlite3.connect(settings.db_path) as connection:
        remembered = connection.execute("SELECT platform, community_id, member_id FROM closed_dms").fetchall()
    assert remembered == [("discord", world.guild_id, str(world.alice))]
