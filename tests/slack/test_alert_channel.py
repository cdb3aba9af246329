"""On Slack, as on Discord, the channel committee alerts go to is the committee's own: it is not moderated."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.models import Platform
from tests.fakes import slack_events as payloads
from tests.slack.conftest import ALERTS, ALICE, BREACH, CAROL, COMMITTEE_CHANNEL, DAVE, GENERAL, TEAM, Harness


async def test_a_breach_in_the_alert_channel_makes_no_incident(harness: Harness) -> None:
    discussed = payloads.message(CAROL, ALERTS, f"they wrote '{BREACH}', shall we talk to them?")
    await harness.event(discussed)
    await harness.event(payloads.message(DAVE, ALERTS, BREACH, thread_ts=discussed["ts"], parent_user_id=CAROL))
    await harness.event(payloads.message(ALICE, GENERAL, BREACH))  # moderated as ever, and proves the rest ran
    await harness.settled(3)
    assert [(r["channel_id"], r["author_id"]) for r in harness.incidents()] == [(GENERAL, ALICE)]
    assert harness.fake.ephemerals(CAROL) == [] and harness.fake.ephemerals(DAVE) == []


async def test_without_an_alert_channel_the_committee_channel_gets_the_alerts_and_is_not_moderated(
        socket_harness: Harness) -> None:
    store = socket_harness.bot.core.store
    community = await store.get_community(Platform.SLACK, TEAM)
    await store.save_community(replace(community, alert_channel=""), datetime.now(UTC))
    await socket_harness.event(payloads.message(DAVE, COMMITTEE_CHANNEL, BREACH))
    await socket_harness.event(payloads.message(DAVE, ALERTS, BREACH))  # no longer where alerts go: moderated
    await socket_harness.settled(2)
    assert [r["channel_id"] for r in socket_harness.incidents()] == [ALERTS]


async def test_the_slack_bot_runs_the_daily_purge(socket_harness: Harness) -> None:
    assert socket_harness.bot.core.purge.running
