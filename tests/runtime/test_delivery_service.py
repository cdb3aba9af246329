"""The one delivery service both adapters use, driven through a notifier that records what it was asked to send:
each nudge claimed and sent once, results reported to the real core, an outage left to the outbox retry, and alerts
queued, held while the platform fails and posted again by the retry."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from bot.core import Core
from bot.models import (
    AlertKind,
    CommitteeAlert,
    Community,
    Decision,
    DeliveryResult,
    DeliveryStatus,
    Nudge,
    Platform,
    WelfareNote,
)
from bot.runtime.delivery import DeliveryService
from tests.core.pipeline import SimClock, message

BREACH = "you are a worthless idiot and everyone hates you"
ALERTS = "c-alerts"


class RecordingNotifier:
    """A platform that takes (or refuses, or cannot be reached for) what it is given, and keeps a record."""

    def __init__(self) -> None:
        self.reachable = True
        self.refuses = False
        self.alerts_fail = False
        self.nudges: list[int] = []
        self.welfare: list[str] = []
        self.posted: list[tuple[str, str, tuple[int, ...]]] = []  # channel, community, incident ids

    async def send_nudge(self, nudge: Nudge) -> DeliveryResult | None:
        if not self.reachable:
            return None
        if self.refuses:
            return DeliveryResult(DeliveryStatus.REFUSED, "dms closed")
        self.nudges.append(nudge.incident_id)
        return DeliveryResult(DeliveryStatus.DELIVERED)

    async def send_welfare(self, note: WelfareNote) -> DeliveryResult | None:
        self.welfare.append(note.recipient_id)
        return DeliveryResult(DeliveryStatus.DELIVERED)

    async def post_alerts(self, channel_id: str, community_id: str,
                          alerts: Sequence[CommitteeAlert]) -> Sequence[CommitteeAlert]:
        if self.alerts_fail:
            return alerts
        self.posted += [(channel_id, community_id, a.incident_ids) for a in alerts]
        return ()


async def until(predicate: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Poll with a deadline (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@pytest.fixture
async def service(core: Core) -> AsyncIterator[tuple[DeliveryService, RecordingNotifier]]:
    await core.store.save_community(Community(Platform.DISCORD, "g1", alert_channel=ALERTS), core.clock())
    notifier = RecordingNotifier()
    delivery = DeliveryService(core, Platform.DISCORD, notifier, outbox_retry_seconds=3600)
    delivery.start()
    try:
        yield delivery, notifier
    finally:
        await delivery.stop(drain_seconds=5)


def alert(*incident_ids: int, community: str = "g1") -> CommitteeAlert:
    return CommitteeAlert(kind=AlertKind.MEMBER_REPORT, platform=Platform.DISCORD, community_id=community,
                          summary="A member reported a message.", incident_ids=incident_ids)


async def test_a_nudge_is_sent_once_and_its_delivery_recorded(core: Core, clock: SimClock, service) -> None:
    delivery, notifier = service
    outcome = await core.moderator.handle(message(clock, BREACH))
    assert outcome.decision is Decision.NUDGE and outcome.nudge is not None
    await delivery.deliver(outcome)
    assert notifier.nudges == [outcome.incident_id]
    incident = await core.store.get_incident(outcome.incident_id)
    assert incident is not None and incident.delivery_status is DeliveryStatus.DELIVERED
    assert await delivery.deliver_outbox() == 0 and delivery.outbox_left == 0  # nothing pending: never again
    assert await delivery.deliver_nudge(outcome.nudge) is None  # no longer awaiting delivery
    assert notifier.nudges == [outcome.incident_id] and len(delivery.claims) == 0


async def test_an_unreachable_platform_leaves_the_nudge_to_the_outbox_retry(core: Core, clock: SimClock,
                                                                           service) -> None:
    delivery, notifier = service
    notifier.reachable = False
    outcome = await core.moderator.handle(message(clock, BREACH))
    await delivery.deliver(outcome)
    assert notifier.nudges == []
    assert await delivery.retry_outbox() == 1  # still unreachable: one nudge left, so the retry backs off
    assert delivery.outbox_left == 1
    notifier.reachable = True
    assert await delivery.retry_outbox() == 0
    assert notifier.nudges == [outcome.incident_id]
    assert await delivery.retry_outbox() == 0 and notifier.nudges == [outcome.incident_id]


async def test_a_refused_nudge_is_recorded_and_the_committee_alerted(core: Core, clock: SimClock, service) -> None:
    delivery, notifier = service
    notifier.refuses = True
    outcome = await core.moderator.handle(message(clock, BREACH))
    await delivery.deliver(outcome)
    incident = await core.store.get_incident(outcome.incident_id)
    assert incident is not None and incident.delivery_status is DeliveryStatus.REFUSED
    await until(lambda: delivery.alert_backlog == 0 and bool(notifier.posted), "the refusal's alert")
    assert notifier.posted == [(ALERTS, "g1", (outcome.incident_id,))]


async def test_alerts_wait_out_a_failing_platform_and_go_with_the_next_retry(service) -> None:
    delivery, notifier = service
    notifier.alerts_fail = True
    delivery.post_alerts([alert(1), alert(2)])
    await until(lambda: delivery.alert_backlog == 0, "the poster's attempt")
    assert notifier.posted == [] and delivery.alerts.held == 2
    assert await delivery.retry_outbox() == 2  # re-queued: the retry backs off while the platform fails
    await until(lambda: delivery.alert_backlog == 0, "the poster's second attempt")
    assert delivery.alerts.held == 2  # held again, not lost and not doubled
    notifier.alerts_fail = False
    await delivery.retry_outbox()
    await until(lambda: delivery.alert_backlog == 0 and len(notifier.posted) == 2, "the alerts posted")
    assert notifier.posted == [(ALERTS, "g1", (1,)), (ALERTS, "g1", (2,))] and delivery.alerts.held == 0


async def test_no_alert_channel_means_no_post_anywhere(service, caplog: pytest.LogCaptureFixture) -> None:
    delivery, notifier = service
    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        delivery.post_alerts([alert(7, community="g-unset")])
        await until(lambda: delivery.alert_backlog == 0, "the poster")
    assert notifier.posted == [] and delivery.alerts.held == 0
    assert any("no alert channel" in r.getMessage() and getattr(r, "community_id", "") == "g-unset"
               for r in caplog.records)


async def test_the_outbox_leaves_a_nudge_another_sender_holds(core: Core, clock: SimClock, service) -> None:
    delivery, notifier = service
    notifier.reachable = False
    outcome = await core.moderator.handle(message(clock, BREACH))
    await delivery.deliver(outcome)  # left pending
    notifier.reachable = True
    assert delivery.claims.claim(outcome.incident_id)  # the live path is sending it right now
    assert await delivery.deliver_outbox() == 0 and delivery.outbox_left == 1 and notifier.nudges == []
    delivery.claims.release(outcome.incident_id)
    assert await delivery.deliver_outbox() == 1 and delivery.outbox_left == 0
    assert notifier.nudges == [outcome.incident_id]
