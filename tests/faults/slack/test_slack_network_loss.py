"""A Socket Mode bot that loses the network keeps trying to reconnect until Slack can be reached again, then
moderates as before: slack_sdk's client notices the dead socket and asks apps.connections.open for a new one,
once every ping interval (5 s), for as long as it takes."""

from __future__ import annotations

from tests.fakes import slack_events as payloads
from tests.slack.conftest import ALICE, BREACH, GENERAL, Harness, eventually


async def test_socket_mode_keeps_retrying_through_a_lost_network_then_reconnects(slack_app: Harness) -> None:
    fake = slack_app.fake
    assert fake.connections == 1
    fake.outage({"apps.connections.open"}, "disconnect")  # while the network is down no new socket can open
    fake.cut_sockets()
    await eventually(lambda: fake.outage_failures >= 2, timeout=40,
                     what="the bot to try to reconnect again after a failed attempt")
    fake.end_outage()
    await fake.wait_for_connections(2, timeout=40)
    await slack_app.event(payloads.message(ALICE, GENERAL, BREACH))
    await slack_app.settled(1)
    await eventually(lambda: len(fake.ephemerals(ALICE)) == 1, timeout=10, what="the nudge after the network is back")
