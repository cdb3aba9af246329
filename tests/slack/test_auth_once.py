"""A burst of events right after the app connects asks Slack's auth.test once in all, not once per envelope."""

from __future__ import annotations

from tests.fakes import slack_events as payloads
from tests.slack.conftest import ALICE, GENERAL, TEAM, Harness


async def test_a_burst_at_start_makes_no_auth_test_of_its_own(socket_harness: Harness) -> None:
    fake = socket_harness.fake
    at_start = len(fake.calls_to("auth.test"))
    assert at_start == 1  # the start's own check of the bot token

    for n in range(40):  # all in the socket before the first is handled: Bolt has no auth.test answer yet
        await fake.send_envelope("events_api", payloads.event_callback(
            TEAM, payloads.message(ALICE, GENERAL, f"see you at the quiz night, table {n}")), wait_ack=False)
    await socket_harness.settled(40)

    assert len(fake.calls_to("auth.test")) == at_start
