"""Each Slack nudge is sent once, with bounded memory: the live path and the outbox claim a nudge before sending it
and re-check that it still awaits delivery, and the claims hold only the nudges being sent right now."""

from __future__ import annotations

import asyncio

import pytest

from bot.models import DeliveryResult, MessageEvent, Nudge, Outcome, Platform
from bot.slack.events import ts_to_datetime
from tests.fakes import slack_events as payloads
from tests.faults.reads import allow_reads, refuse_incident_reads
from tests.slack.conftest import ALICE, BREACH, GENERAL, TEAM, Harness, eventually


async def recorded_while_offline(harness: Harness) -> Outcome:
    """A breach recorded by the core whose nudge has not been sent yet (the app never saw the event)."""
    ts = payloads.next_ts()
    outcome = await harness.bot.core.moderator.handle(MessageEvent(
        platform=Platform.SLACK, community_id=TEAM, channel_id=GENERAL, message_id=f"{GENERAL}:{ts}",
        author_id=ALICE, author_name="", text=BREACH, created_at=ts_to_datetime(ts)))
    assert outcome.nudge is not None and outcome.incident_id is not None
    return outcome


def statuses(harness: Harness) -> list[str]:
    return [r["delivery_status"] for r in harness.incidents()]


async def test_a_nudge_sent_live_after_the_outbox_snapshot_is_not_sent_again(
        socket_harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    bot, fake = socket_harness.bot, socket_harness.fake
    outcome = await recorded_while_offline(socket_harness)
    snapshot_taken = bot.core.moderator.pending_nudges

    async def snapshot_then_live(platform: Platform | None = None) -> list[Nudge]:
        nudges = await snapshot_taken(platform)
        assert [n.incident_id for n in nudges] == [outcome.incident_id]
        await bot.delivery.deliver(outcome)  # the live path delivers, reports and lets go before the outbox's loop runs
        assert len(fake.ephemerals(ALICE)) == 1
        return nudges

    monkeypatch.setattr(bot.core.moderator, "pending_nudges", snapshot_then_live)
    assert await bot.delivery.deliver_outbox() == 0  # one nudge in the snapshot, settled: not attempted ...
    assert len(fake.ephemerals(ALICE)) == 1  # ... and it was not sent a second time
    assert bot.delivery.outbox_left == 0
    assert statuses(socket_harness) == ["delivered"]
    assert len(bot.delivery.claims) == 0


async def test_the_live_path_does_not_send_a_nudge_the_outbox_is_sending(
        socket_harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    bot, fake = socket_harness.bot, socket_harness.fake
    outcome = await recorded_while_offline(socket_harness)
    report = bot.core.moderator.report_delivery
    sent, release = asyncio.Event(), asyncio.Event()

    async def report_when_released(incident_id: int, result: DeliveryResult) -> object:
        sent.set()  # the nudge is out, its result not yet reported
        await release.wait()
        return await report(incident_id, result)

    monkeypatch.setattr(bot.core.moderator, "report_delivery", report_when_released)
    outbox = asyncio.create_task(bot.delivery.deliver_outbox())
    await asyncio.wait_for(sent.wait(), 10)
    assert outcome.incident_id in bot.delivery.claims
    assert await bot.delivery.deliver_nudge(outcome.nudge) is None  # claimed by the outbox: not attempted
    release.set()
    assert await asyncio.wait_for(outbox, 10) == 1
    assert len(fake.ephemerals(ALICE)) == 1
    assert statuses(socket_harness) == ["delivered"]
    assert len(bot.delivery.claims) == 0


async def test_claims_are_empty_after_many_nudges(harness: Harness) -> None:
    nudges = 30
    for _ in range(nudges):
        await harness.event(payloads.message(ALICE, GENERAL, BREACH))
    await harness.settled(nudges)
    await eventually(lambda: statuses(harness) == ["delivered"] * nudges, what="every delivery recorded")
    assert len(harness.fake.ephemerals(ALICE)) == nudges
    assert len(harness.bot.delivery.claims) == 0  # nothing kept per nudge once it is reported


async def test_a_store_failing_at_the_recheck_sends_nothing_and_the_next_outbox_run_delivers(
        socket_harness: Harness) -> None:
    bot, fake = socket_harness.bot, socket_harness.fake
    outcome = await recorded_while_offline(socket_harness)
    await refuse_incident_reads(bot.core.store)
    try:
        await bot.delivery.deliver(outcome)  # the live path cannot confirm it is still pending
    finally:
        await allow_reads(bot.core.store)
    assert fake.ephemerals(ALICE) == []
    assert statuses(socket_harness) == ["pending"]
    assert len(bot.delivery.claims) == 0

    assert await bot.delivery.retry_outbox() == 0  # the periodic retry's run, once the database answers again
    assert len(fake.ephemerals(ALICE)) == 1
    assert statuses(socket_harness) == ["delivered"]
