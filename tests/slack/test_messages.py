"""Messages through the real slack-bolt and the fake Slack: incidents, nudges, edits, retries, bots, 429s."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime

from bot.closed_dms import REMEMBERED
from bot.models import Platform
from tests.fakes import slack_events as payloads
from tests.slack.conftest import (
    ALERTS,
    ALICE,
    BOB,
    BREACH,
    CAROL,
    CLEAN,
    ERIN,
    GENERAL,
    PRIVATE,
    SERIOUS,
    TEAM,
    Harness,
    eventually,
)


def _button_ids(blocks: list[dict]) -> list[str]:
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_breach_records_an_incident_and_nudges_the_poster_alone(harness: Harness) -> None:
    fake = harness.fake
    await harness.event(payloads.message(ALICE, GENERAL, BREACH))
    await harness.settled(1)
    await eventually(lambda: len(fake.ephemerals()) == 1, what="one ephemeral nudge")

    rows = harness.incidents()
    assert len(rows) == 1
    assert rows[0]["author_id"] == ALICE and rows[0]["channel_id"] == GENERAL and rows[0]["platform"] == "slack"
    assert "5.5.3" in json.loads(rows[0]["clauses"])
    await eventually(lambda: harness.incidents()[0]["delivery_status"] == "delivered", what="delivery recorded")

    nudge = fake.ephemerals()[0]
    assert nudge.user == ALICE and nudge.channel == GENERAL
    rendered = json.dumps(nudge.blocks)
    assert "5.5.3" in rendered and "What to do now" in rendered
    assert "idiot" not in rendered  # the excerpt is masked
    assert _button_ids(nudge.blocks) == ["nudgebot_nudge_fixed", "nudgebot_nudge_mistake"]
    # Nobody else saw anything: no channel message, no other ephemeral, no DM.
    assert fake.calls_to("chat.postMessage") == []
    assert fake.ephemerals(BOB) == []


async def test_a_clean_message_makes_no_incident_and_no_nudge(harness: Harness) -> None:
    await harness.event(payloads.message(ALICE, GENERAL, CLEAN))
    await harness.settled(1)
    assert harness.incidents() == []
    assert harness.fake.calls_to("chat.postEphemeral") == []
    assert harness.fake.calls_to("chat.postMessage") == []


async def test_private_channel_messages_are_moderated(harness: Harness) -> None:
    await harness.event(payloads.message(BOB, PRIVATE, BREACH, channel_type="group"))
    await harness.settled(1)
    await eventually(lambda: len(harness.fake.ephemerals(BOB)) == 1, what="nudge in the private channel")
    assert [r["channel_id"] for r in harness.incidents()] == [PRIVATE]


async def test_an_edit_that_removes_the_breach_marks_the_incident_corrected(harness: Harness) -> None:
    original = payloads.message(ALICE, GENERAL, BREACH)
    await harness.event(original)
    await harness.settled(1)
    assert [r["status"] for r in harness.incidents()] == ["open"]

    await harness.event(payloads.edit(original, "sorry, that was out of order"))
    await harness.settled(2)
    rows = harness.incidents()
    assert len(rows) == 1 and rows[0]["status"] == "corrected"


async def test_an_edit_that_adds_a_breach_is_a_new_revision(harness: Harness) -> None:
    original = payloads.message(ALICE, GENERAL, CLEAN)
    await harness.event(original)
    await harness.event(payloads.edit(original, BREACH))
    await harness.settled(2)
    rows = harness.incidents()
    assert len(rows) == 1 and rows[0]["revision"] > 0


async def test_a_retried_event_makes_no_second_incident_or_nudge(harness: Harness) -> None:
    event = payloads.message(ALICE, GENERAL, BREACH)
    body = await harness.event(event)
    await harness.settled(1)
    await harness.event(event, event_id=body["event_id"], retry_num=1)
    await harness.event(event, event_id=body["event_id"], retry_num=2)
    await harness.settled(3)
    # The same message under a fresh event id (a replay) is still one incident: the core is idempotent too.
    await harness.event(event)
    await harness.settled(4)
    assert len(harness.incidents()) == 1
    assert len(harness.fake.ephemerals()) == 1


async def test_bot_messages_and_the_bots_own_are_ignored(harness: Harness) -> None:
    fake = harness.fake
    await harness.event(payloads.message(fake.bot_user_id, GENERAL, BREACH))  # the bot's own user
    await harness.event(payloads.message(fake.bot_user_id, GENERAL, BREACH, bot_id=fake.bot_id))
    await harness.event(payloads.message("U0OTHERBOT", GENERAL, BREACH, bot_id="B0OTHER", subtype="bot_message"))
    await harness.event(payloads.message("U0OTHERAPP", GENERAL, BREACH, bot_id="B0APP"))
    await harness.event(payloads.message(ALICE, GENERAL, CLEAN))
    await harness.settled(3)  # the other bots' messages and Alice's; Bolt drops the bot's own before any listener
    if harness.mode == "http":  # each request returned only after its listener finished
        assert harness.bot.handled_events == 3
    assert harness.incidents() == []
    assert fake.calls_to("chat.postEphemeral") == []


async def test_join_and_other_subtypes_are_not_moderated(harness: Harness) -> None:
    await harness.event(payloads.message(ALICE, GENERAL, f"<@{ALICE}> has joined the channel {BREACH}",
                                         subtype="channel_join"))
    await harness.settled(1)
    assert harness.incidents() == []


async def test_refused_ephemeral_falls_back_to_a_dm(harness: Harness) -> None:
    fake = harness.fake
    # Erin is not a member of #general: Slack answers user_not_in_channel.
    await harness.event(payloads.message(ERIN, GENERAL, BREACH))
    await harness.settled(1)
    await eventually(lambda: fake.dm_channel(ERIN) is not None and fake.messages_in(fake.dm_channel(ERIN) or ""),
                     what="the nudge by DM")
    assert fake.calls_to("chat.postEphemeral")[0].error == "user_not_in_channel"
    dm = fake.messages_in(fake.dm_channel(ERIN) or "")[0]
    assert "nudgebot_nudge_fixed" in json.dumps(dm.blocks)
    await eventually(lambda: harness.incidents()[0]["delivery_status"] == "delivered", what="delivered by DM")
    assert "user_not_in_channel" in harness.incidents()[0]["delivery_reason"]


async def test_refused_nudge_is_recorded_and_the_committee_told(harness: Harness) -> None:
    fake = harness.fake
    fake.fail_next("chat.postEphemeral", "channel_not_found")
    fake.fail_next("conversations.open", "user_disabled")
    await harness.event(payloads.message(ALICE, GENERAL, BREACH))
    await harness.settled(1)
    await eventually(lambda: bool(fake.messages_in(ALERTS)), what="an alert about the refused nudge")
    row = harness.incidents()[0]
    assert row["delivery_status"] == "refused"
    assert "channel_not_found" in row["delivery_reason"] and "user_disabled" in row["delivery_reason"]
    assert f"#{row['id']}" in json.dumps(fake.messages_in(ALERTS)[0].blocks)


async def test_rate_limited_web_api_calls_are_retried_and_nothing_is_lost(harness: Harness) -> None:
    fake = harness.fake
    fake.rate_limit_next("chat.postEphemeral", times=2, retry_after=0)
    fake.rate_limit_next("chat.postMessage", times=1, retry_after=0)
    await harness.event(payloads.message(ALICE, GENERAL, SERIOUS))
    await harness.settled(1)
    await eventually(lambda: len(fake.ephemerals(ALICE)) == 1 and len(fake.messages_in(ALERTS)) == 1,
                     timeout=20, what="nudge and alert after the 429s")
    statuses = [c.status for c in fake.calls_to("chat.postEphemeral")]
    assert statuses == [429, 429, 200]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    await eventually(lambda: harness.incidents()[0]["delivery_status"] == "delivered", what="delivery recorded")


async def test_serious_breach_alerts_the_committee_with_review_buttons(harness: Harness) -> None:
    await harness.event(payloads.message(ALICE, GENERAL, SERIOUS))
    await harness.settled(1)
    await eventually(lambda: bool(harness.fake.messages_in(ALERTS)), what="committee alert")
    alert = harness.fake.messages_in(ALERTS)[0]
    assert _button_ids(alert.blocks) == ["nudgebot_review_confirm", "nudgebot_review_dismiss",
                                         "nudgebot_review_escalate"]
    assert "kill" not in json.dumps(alert.blocks).lower()  # masked in the committee channel too
    assert harness.fake.ephemerals(CAROL) == []


async def test_outbox_delivers_nudges_left_pending_before_a_restart(socket_harness: Harness) -> None:
    from bot.models import MessageEvent, Platform
    from bot.slack.events import ts_to_datetime

    ts = payloads.next_ts()
    # Recorded while Slack was unreachable: the incident is committed, its nudge never went out.
    outcome = await socket_harness.bot.core.moderator.handle(MessageEvent(
        platform=Platform.SLACK, community_id=TEAM, channel_id=GENERAL, message_id=f"{GENERAL}:{ts}",
        author_id=ALICE, author_name="", text=BREACH, created_at=ts_to_datetime(ts)))
    assert outcome.nudge is not None
    assert socket_harness.incidents()[0]["delivery_status"] == "pending"

    assert await socket_harness.bot.delivery.deliver_outbox() == 1
    assert len(socket_harness.fake.ephemerals(ALICE)) == 1
    assert socket_harness.incidents()[0]["delivery_status"] == "delivered"
    assert await socket_harness.bot.delivery.deliver_outbox() == 0  # never delivered twice


async def test_tampered_and_stale_signatures_are_rejected(http_harness: Harness) -> None:
    sender = http_harness.sender
    assert sender is not None
    body = json.dumps(payloads.event_callback(TEAM, payloads.message(ALICE, GENERAL, BREACH))).encode()
    now = int(time.time())

    good = payloads.sign(sender.secret, body, now)
    tampered_body = body.replace(b"worthless", b"wonderful")
    assert (await sender.post(tampered_body, "application/json", timestamp=now, signature=good))[0] == 401
    wrong_secret = payloads.sign("not-the-secret", body, now)
    assert (await sender.post(body, "application/json", timestamp=now, signature=wrong_secret))[0] == 401
    stale = now - 6 * 60
    assert (await sender.post(body, "application/json", timestamp=stale,
                              signature=payloads.sign(sender.secret, body, stale)))[0] == 401
    assert http_harness.incidents() == []

    assert (await sender.post(body, "application/json", timestamp=now, signature=good))[0] == 200
    await eventually(lambda: len(http_harness.incidents()) == 1, what="the signed event moderated")


async def test_a_member_who_may_be_struggling_gets_support_not_an_incident(harness: Harness) -> None:
    await harness.event(payloads.message(ALICE, GENERAL, "honestly I want to kill myself"))
    await harness.settled(1)
    await eventually(lambda: len(harness.fake.ephemerals(ALICE)) == 1, what="a private pointer to support")
    assert "Samaritans" in harness.fake.ephemerals(ALICE)[0].text
    assert harness.incidents() == []


async def test_http_mode_answers_slacks_url_verification(http_harness: Harness) -> None:
    sender = http_harness.sender
    assert sender is not None
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    status, body = await sender.event({"token": "t", "challenge": challenge, "type": "url_verification"})
    assert status == 200 and challenge in body


async def test_without_a_signing_secret_no_http_request_is_trusted(fake, tmp_path, shared_scanner) -> None:
    from dataclasses import replace

    import aiohttp
    from aiohttp import web
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.app import SlackBot
    from tests.fakes.slack_server import BOT_TOKEN
    from tests.slack.conftest import make_settings, open_test_core

    settings = replace(make_settings(tmp_path), slack_signing_secret=None)
    core = await open_test_core(settings, shared_scanner)
    bot = SlackBot(core, settings, AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url))
    runner = web.AppRunner(bot.app.web_app(path="/slack/events"), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        async with aiohttp.ClientSession() as session:
            sender = payloads.SignedSender(f"http://127.0.0.1:{port}/slack/events", "", session)
            status, _ = await sender.event(payloads.event_callback(TEAM, payloads.message(ALICE, GENERAL, BREACH)))
        assert status == 401
    finally:
        await runner.cleanup()
        await core.close()


async def test_a_reply_in_a_thread_is_nudged_in_that_thread(harness: Harness) -> None:
    parent = payloads.message(BOB, GENERAL, CLEAN)
    reply = payloads.message(ALICE, GENERAL, BREACH, thread_ts=parent["ts"], parent_user_id=BOB)
    await harness.event(reply)
    await harness.settled(1)
    await eventually(lambda: len(harness.fake.ephemerals(ALICE)) == 1, what="the nudge")
    assert harness.fake.ephemerals(ALICE)[0].raw.get("thread_ts") == parent["ts"]
    assert json.loads(harness.incidents()[0]["targets"]) == [BOB]


async def test_socket_mode_reconnects_when_slack_asks_and_loses_nothing(socket_harness: Harness) -> None:
    fake = socket_harness.fake
    assert fake.connections == 1
    await fake.send_disconnect()
    await fake.wait_for_connections(2)
    assert len(fake.calls_to("apps.connections.open")) == 2
    await socket_harness.event(payloads.message(ALICE, GENERAL, BREACH))
    await socket_harness.settled(1)
    await eventually(lambda: len(fake.ephemerals(ALICE)) == 1, what="the nudge after reconnecting")
    assert len(socket_harness.incidents()) == 1


async def refused_then_remembered(harness: Harness, first: str, second: str) -> None:
    """Alice's first message ends in a reply Slack refuses both ways (ephemeral and DM); her second must meet the
    memory of it: each ends in an alert, and Slack is not asked again for the second."""
    fake = harness.fake
    fake.fail_next("chat.postEphemeral", "channel_not_found")
    fake.fail_next("conversations.open", "user_disabled")

    def asked() -> int:
        return len(fake.calls_to("chat.postEphemeral")) + len(fake.calls_to("conversations.open"))

    for number, text in enumerate((first, second), start=1):
        await harness.event(payloads.message(ALICE, GENERAL, text))
        await harness.settled(number)
        await eventually(lambda: len(fake.messages_in(ALERTS)) == number,  # noqa: B023 (awaited here)
                         what=f"alert {number}")
        if number == 1:
            after_first = asked()
    assert asked() == after_first


async def test_a_member_refusing_both_ways_is_not_asked_again_for_a_day(harness: Harness) -> None:
    await refused_then_remembered(harness, BREACH, BREACH + ", again")
    rows = harness.incidents()
    assert [r["delivery_status"] for r in rows] == ["refused", "refused"]  # both recorded, the second not sent
    assert rows[1]["delivery_reason"] == REMEMBERED


LOW = "i don't think i can keep going, some nights i want to end it all"  # made up: a member who may be struggling


async def test_a_welfare_note_refused_both_ways_is_remembered_and_the_committee_told(harness: Harness) -> None:
    core = harness.bot.core
    community = await core.store.get_community(Platform.SLACK, TEAM)
    await core.store.save_community(replace(community, welfare_alerts=True), datetime.now(UTC))
    await refused_then_remembered(harness, LOW, BREACH)  # the breach's nudge meets the memory the note left
    welfare_alert = harness.fake.messages_in(ALERTS)[0]
    assert "could not send them its private pointer" in welfare_alert.text + str(welfare_alert.blocks)
    assert [(r["delivery_status"], r["delivery_reason"]) for r in harness.incidents()] == [("refused", REMEMBERED)]
