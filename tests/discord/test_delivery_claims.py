"""Each Discord nudge is sent once, with bounded memory: the live path and the outbox claim a nudge before sending
it and re-check that it still awaits delivery, and the claims hold only the nudges being sent right now."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest

from bot.core import Core
from bot.models import DeliveryResult, MessageEvent, Nudge, Outcome, Platform
from bot.settings import Settings, load_settings
from tests.discord.support import RunningBot, World, incident_rows
from tests.fakes.discord_server import FakeDiscord
from tests.faults.reads import allow_reads, refuse_incident_reads

BREACH = "text Priya on 07700 900123, that's her number"  # personal data: clause 5.5.5, a nudge
_ids = count(1)


@pytest.fixture
def settings(tmp_path: Path, fake: FakeDiscord) -> Settings:
    """As the Discord tests', with no nudge window: every breach has its own nudge, so nudges can be counted."""
    return load_settings(env_file=None, environ={"NUDGEBOT_DB": str(tmp_path / "nudgebot.db"),
                                                 "DISCORD_TOKEN": fake.token, "NUDGEBOT_NUDGE_WINDOW_HOURS": "0"})


async def recorded_while_offline(core: Core, world: World) -> Outcome:
    """A breach recorded by the core whose nudge has not been sent yet (the bot never saw the message)."""
    outcome = await core.moderator.handle(MessageEvent(
        platform=Platform.DISCORD, community_id=world.guild_id, channel_id=str(world.general),
        message_id=str(900_000 + next(_ids)), author_id=str(world.alice), author_name="alice", text=BREACH,
        created_at=datetime.now(UTC)))
    assert outcome.nudge is not None and outcome.incident_id is not None
    return outcome


async def test_a_nudge_sent_live_after_the_outbox_snapshot_is_not_sent_again(
        running: RunningBot, world: World, core: Core, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    courier = running.bot.delivery
    outcome = await recorded_while_offline(core, world)
    snapshot_taken = core.moderator.pending_nudges

    async def snapshot_then_live(platform: Platform | None = None) -> list[Nudge]:
        nudges = await snapshot_taken(platform)
        assert [n.incident_id for n in nudges] == [outcome.incident_id]
        await courier.deliver(outcome)  # the live path delivers and reports it before the outbox's loop runs
        assert len(world.fake.dms_to(world.alice)) == 1
        return nudges

    monkeypatch.setattr(core.moderator, "pending_nudges", snapshot_then_live)
    assert await courier.deliver_outbox() == 0  # the snapshot's nudge is settled: not attempted
    assert len(world.fake.dms_to(world.alice)) == 1
    assert courier.outbox_left == 0
    assert [r["delivery_status"] for r in incident_rows(settings.db_path)] == ["delivered"]
    assert len(courier.claims) == 0


async def test_the_live_path_does_not_send_a_nudge_the_outbox_is_sending(
        running: RunningBot, world: World, core: Core, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    courier = running.bot.delivery
    outcome = await recorded_while_offline(core, world)
    report = core.moderator.report_delivery
    sent, release = asyncio.Event(), asyncio.Event()

    async def report_when_released(incident_id: int, result: DeliveryResult) -> object:
        sent.set()  # the DM is out, its result not yet reported
        await release.wait()
        return await report(incident_id, result)

    monkeypatch.setattr(core.moderator, "report_delivery", report_when_released)
    outbox = asyncio.create_task(courier.deliver_outbox())
    await asyncio.wait_for(sent.wait(), 10)
    assert outcome.incident_id in courier.claims
    assert await courier.deliver_nudge(outcome.nudge) is None  # claimed by the outbox: not attempted
    release.set()
    assert await asyncio.wait_for(outbox, 10) == 1
    assert len(world.fake.dms_to(world.alice)) == 1
    assert [r["delivery_status"] for r in incident_rows(settings.db_path)] == ["delivered"]
    assert len(courier.claims) == 0


async def test_claims_are_empty_after_many_nudges(running: RunningBot, world: World, settings: Settings) -> None:
    fake = world.fake
    nudges = 30
    for _ in range(nudges):
        await fake.post_message(world.general, world.alice, BREACH)
    await fake.wait_for(lambda: len(fake.dms_to(world.alice)) >= nudges, 30, "every nudge")
    await running.idle(fake, received=nudges)
    rows = incident_rows(settings.db_path)
    assert [r["delivery_status"] for r in rows] == ["delivered"] * nudges
    assert len(fake.dms_to(world.alice)) == nudges
    assert len(running.bot.delivery.claims) == 0  # nothing kept per nudge once it is reported


async def test_a_store_failing_at_the_recheck_sends_nothing_and_the_next_outbox_run_delivers(
        running: RunningBot, world: World, core: Core, settings: Settings) -> None:
    courier = running.bot.delivery
    outcome = await recorded_while_offline(core, world)
    await refuse_incident_reads(core.store)
    try:
        assert await courier.deliver_nudge(outcome.nudge) is None  # the live path cannot confirm it is pending
    finally:
        await allow_reads(core.store)
    assert world.fake.dms_to(world.alice) == []
    assert [r["delivery_status"] for r in incident_rows(settings.db_path)] == ["pending"]
    assert len(courier.claims) == 0

    assert await courier.retry_outbox() == 0  # the periodic retry's run, once the database answers again
    assert len(world.fake.dms_to(world.alice)) == 1
    assert [r["delivery_status"] for r in incident_rows(settings.db_path)] == ["delivered"]
