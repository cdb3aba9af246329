"""Delivery claims and the moderator's last check before a nudge is sent: one sender at a time, and only while the
store still says the nudge is pending."""

from __future__ import annotations

from bot.core import Core
from bot.models import DeliveryResult, DeliveryStatus
from bot.runtime.claims import DeliveryClaims
from tests.core.pipeline import SimClock, message
from tests.faults.reads import allow_reads, refuse_incident_reads
from tests.faults.support import make_read_only, make_writable

INSULT = "you are such a retard mate"


def test_a_second_claimant_is_refused_until_the_first_releases() -> None:
    claims = DeliveryClaims()
    assert claims.claim(7)
    assert not claims.claim(7)  # live path and outbox at once: only one sends
    assert claims.claim(8)
    assert 7 in claims and len(claims) == 2
    claims.release(7)
    claims.release(7)  # releasing twice is harmless
    assert 7 not in claims and len(claims) == 1
    assert claims.claim(7)


async def test_awaiting_delivery_follows_the_stores_delivery_status(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, INSULT))
    assert outcome.incident_id is not None and outcome.nudge is not None
    assert await core.store.delivery_status(outcome.incident_id) is DeliveryStatus.PENDING
    assert await core.moderator.awaiting_delivery(outcome.incident_id)

    await core.moderator.report_delivery(outcome.incident_id, DeliveryResult(DeliveryStatus.DELIVERED))
    assert await core.store.delivery_status(outcome.incident_id) is DeliveryStatus.DELIVERED
    assert not await core.moderator.awaiting_delivery(outcome.incident_id)
    assert await core.store.delivery_status(10_000) is None
    assert not await core.moderator.awaiting_delivery(10_000)  # no such incident


async def test_a_result_held_in_memory_means_no_longer_awaiting(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, INSULT))
    assert outcome.incident_id is not None
    await make_read_only(core.store)
    await core.moderator.report_delivery(outcome.incident_id, DeliveryResult(DeliveryStatus.DELIVERED))
    assert core.moderator.pending_count == 1  # held: the store still says pending
    assert await core.store.delivery_status(outcome.incident_id) is DeliveryStatus.PENDING
    assert not await core.moderator.awaiting_delivery(outcome.incident_id)

    await make_writable(core.store)
    await core.moderator.flush()
    assert core.moderator.pending_count == 0
    assert not await core.moderator.awaiting_delivery(outcome.incident_id)


async def test_a_store_that_cannot_be_read_means_not_now(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, INSULT))
    assert outcome.incident_id is not None
    await refuse_incident_reads(core.store)
    try:
        assert not await core.moderator.awaiting_delivery(outcome.incident_id)
    finally:
        await allow_reads(core.store)
    assert await core.moderator.awaiting_delivery(outcome.incident_id)  # still pending: the outbox sends it
