"""The review and shadow tiers end to end through the real slack-bolt and the fake Slack (Socket Mode and HTTP).

A committee rules dir (tests/tierpack.py) holds a review-tier and a shadow-tier rule; the scanner the app runs
is built from it as NUDGEBOT_RULES_DIR would build it.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from bot.detection.scanner import Scanner
from tests.fakes import slack_events as payloads
from tests.slack.conftest import ALERTS, ALICE, BOB, BREACH, CAROL, GENERAL, TEAM, Harness, eventually
from tests.tierpack import HELD, HELD_RULE, SHADOW, SHADOW_RULE, build_tier_scanner


@pytest.fixture(scope="module")
def shared_scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    """The app's scanner with the committee's tier pack (overrides the session's built-in one here)."""
    return build_tier_scanner(tmp_path_factory.mktemp("committee-rules"))


def _button_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def _held(harness: Harness) -> tuple[sqlite3.Row, dict]:
    await harness.event(payloads.message(ALICE, GENERAL, HELD))
    await harness.settled(1)
    await eventually(lambda: bool(harness.fake.messages_in(ALERTS)), what="the held-for-review alert")
    alert = harness.fake.messages_in(ALERTS)[0]
    return harness.incidents()[0], {"type": "message", "ts": alert.ts, "text": alert.text, "blocks": alert.blocks}


async def _press(harness: Harness, user: str, action: str, value: str, message: dict, key: str) -> None:
    await harness.interaction(payloads.block_action(TEAM, user, ALERTS, f"nudgebot_review_{action}", value,
                                                    harness.fake.response_url(key), message=message))
    await eventually(lambda: bool(harness.responses(key)), what=f"the answer to {action}")


async def test_a_review_tier_message_is_held_with_no_ephemeral(harness: Harness) -> None:
    row, alert = await _held(harness)
    assert (row["status"], row["tier"], row["delivery_status"]) == ("review", "review", "suppressed")
    assert harness.fake.calls_to("chat.postEphemeral") == []
    rendered = json.dumps(alert["blocks"])
    assert "Held for review" in rendered and HELD_RULE in rendered and "grobblewit" not in rendered
    assert _button_ids(alert["blocks"]) == ["nudgebot_review_confirm", "nudgebot_review_dismiss"]
    assert "Confirm & nudge" in rendered
    # Only the committee's alert channel heard of it.
    assert {c.args.get("channel") for c in harness.fake.calls_to("chat.postMessage")} == {ALERTS}
    key = await harness.command("/incidents", "list held", CAROL)
    await eventually(lambda: bool(harness.responses(key)), what="the list")
    listed = json.dumps(harness.responses(key)[0].blocks)
    assert f"#{row['id']}" in listed and "held for review" in listed


async def test_confirm_and_nudge_sends_exactly_one_ephemeral(harness: Harness) -> None:
    row, alert = await _held(harness)
    value = str(row["id"])
    await _press(harness, BOB, "confirm", value, alert, "refused")
    assert "only for the committee" in harness.responses("refused")[0].text
    assert harness.incidents()[0]["status"] == "review"
    await _press(harness, CAROL, "confirm", value, alert, "confirm")
    await eventually(lambda: harness.incidents()[0]["delivery_status"] == "delivered", what="the nudge delivered")
    await _press(harness, CAROL, "confirm", value, alert, "again")  # a stale second press releases nothing
    assert "cannot confirm" in harness.responses("again")[0].text
    await harness.bot.delivery.deliver_outbox()
    nudges = harness.fake.ephemerals(ALICE)
    assert len(nudges) == 1 and len(harness.fake.calls_to("chat.postEphemeral")) == 1
    assert "grobblewit" not in json.dumps(nudges[0].blocks)
    assert harness.incidents()[0]["status"] == "confirmed"


async def test_dismiss_sends_nothing(harness: Harness) -> None:
    row, alert = await _held(harness)
    await _press(harness, CAROL, "dismiss", str(row["id"]), alert, "dismiss")
    await harness.bot.delivery.deliver_outbox()
    await harness.event(payloads.message(BOB, GENERAL, BREACH))  # a later nudge proves the app moved on
    await harness.settled(2)
    await eventually(lambda: bool(harness.fake.ephemerals(BOB)), what="bob's nudge")
    assert harness.fake.ephemerals(ALICE) == []
    assert harness.incidents()[0]["status"] == "dismissed"


async def test_a_shadow_tier_message_is_counted_with_no_incident_ephemeral_or_alert(harness: Harness) -> None:
    await harness.event(payloads.message(ALICE, GENERAL, SHADOW))
    await harness.settled(1)
    assert harness.incidents() == []
    assert harness.fake.calls_to("chat.postEphemeral") == []
    assert harness.fake.calls_to("chat.postMessage") == []
    with sqlite3.connect(harness.settings.db_path) as connection:
        shadow = connection.execute("SELECT rule_id, community_id, sample FROM shadow_matches").fetchall()
    assert [(rule, community) for rule, community, _ in shadow] == [(SHADOW_RULE, TEAM)]
    assert "splonker" not in shadow[0][2]
