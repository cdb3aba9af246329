"""The Slack Web API failing (HTTP 500 pages, `internal_error`, dropped connections) for every nudge call for a
while: nothing is marked refused, nobody is nudged twice, and every nudge arrives once Slack is back, sent by the
outbox retry with no new message needed."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.fakes import slack_events as payloads
from tests.slack.conftest import (
    ALERTS,
    ALICE,
    BOB,
    BREACH,
    CAROL,
    CLEAN,
    DAVE,
    GENERAL,
    SERIOUS,
    Harness,
    eventually,
)

NUDGE_CALLS = ("chat.postEphemeral", "conversations.open", "chat.postMessage")
POSTERS = (ALICE, BOB, CAROL, DAVE)


def statuses(harness: Harness) -> Counter[str]:
    return Counter(str(row["delivery_status"]) for row in harness.incidents())


@pytest.mark.parametrize("kind", ["500", "internal_error", "disconnect"])
async def test_nudges_held_back_by_a_slack_outage_arrive_once_afterwards(slack_app: Harness, kind: str) -> None:
    fake = slack_app.fake
    fake.outage(NUDGE_CALLS, kind)
    posted = Counter[str]()
    events = 0
    for i in range(24):
        author = POSTERS[i % len(POSTERS)]
        if i % 3 == 2:
            await slack_app.event(payloads.message(author, GENERAL, f"{CLEAN} ({i})"))
        else:
            await slack_app.event(payloads.message(author, GENERAL, BREACH))
            posted[author] += 1
        events += 1
    await slack_app.event(payloads.message(BOB, GENERAL, SERIOUS))  # critical: the committee is alerted too
    posted[BOB] += 1
    events += 1
    await slack_app.settled(events, timeout=30)
    breaches = sum(posted.values())
    assert len(slack_app.incidents()) == breaches  # recorded before any nudge was tried
    first_failures = fake.outage_failures
    # The retry keeps trying while Slack is down, and marks nothing refused or failed meanwhile.
    await eventually(lambda: fake.outage_failures > first_failures, 15, "the outbox retry to try again")
    assert statuses(slack_app) == {"pending": breaches}
    assert fake.ephemerals() == [] and fake.messages_in(ALERTS) == []

    fake.end_outage()
    await eventually(lambda: len(fake.ephemerals()) >= breaches, 15, "the held nudges to arrive")
    await eventually(lambda: statuses(slack_app) == {"delivered": breaches}, 15, "every delivery to be recorded")
    assert Counter(p.user for p in fake.ephemerals()) == posted  # once each, to the poster, ephemeral
    # Every insult's nudge cites 5.5.3 (its "everyone hates you" may add 5.5.1); the serious message's cites 5.5.1.
    cited = [json.dumps(p.blocks) for p in fake.ephemerals()]
    assert sum("5.5.3" in c for c in cited) >= breaches - 1
    assert any("5.5.1" in c for c in cited)
    await eventually(lambda: fake.messages_in(ALERTS), 15, "the held alert to be posted")
    alerts = fake.messages_in(ALERTS)
    assert len(alerts) == 1 and "5.5.1" in json.dumps(alerts[0].blocks)  # once, and nobody reported refused


async def test_a_refusal_is_still_a_refusal(slack_app: Harness) -> None:
    """Only a failing Slack is retried: a real refusal (no ephemeral, no DM) is recorded and told, not retried."""
    fake = slack_app.fake
    fake.fail_next("chat.postEphemeral", "user_not_in_channel")
    fake.fail_next("conversations.open", "cannot_dm_bot")
    await slack_app.event(payloads.message(ALICE, GENERAL, BREACH))
    await slack_app.settled(1)
    await eventually(lambda: statuses(slack_app) == {"refused": 1}, 10, "the refusal to be recorded")
    await eventually(lambda: len(fake.messages_in(ALERTS)) == 1, 10, "the committee to be told")
    runs = slack_app.bot.delivery.outbox_retry.runs
    await eventually(lambda: slack_app.bot.delivery.outbox_retry.runs >= runs + 2, 10, "two more retry runs")
    assert fake.ephemerals() == [] and len(fake.calls_to("chat.postEphemeral")) == 1
