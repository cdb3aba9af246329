"""Logs on Slack: a request whose signature fails is logged without its body (it may be a member's message)."""

from __future__ import annotations

import json
import time

from tests.fakes import slack_events as payloads
from tests.privacy.registry import Registry
from tests.privacy.test_logs import everything_fixture
from tests.slack.conftest import ALICE, GENERAL, TEAM, Harness, fake, http_harness, shared_scanner

__all__ = ["everything_fixture", "fake", "http_harness", "shared_scanner"]

SLACK_BREACH = "you are a worthless idiot and everyone hates you, Priya"


async def test_a_forged_slack_request_is_logged_without_its_body(http_harness: Harness, everything: Registry) -> None:
    sender = http_harness.sender
    assert sender is not None
    body = json.dumps(payloads.event_callback(TEAM, payloads.message(ALICE, GENERAL, SLACK_BREACH))).encode()
    status, _ = await sender.post(body, "application/json", timestamp=int(time.time()),
                                  signature=payloads.sign("not-the-secret", body, int(time.time())))
    assert status == 401
    refused = [text for name, _, text in everything.records if name.startswith("slack_bolt.")
               and "signature" in text]
    assert refused and all("body withheld" in text for text in refused)  # the line is still there
    everything.content(SLACK_BREACH)
    assert everything.problems() == []
    assert http_harness.incidents() == []
