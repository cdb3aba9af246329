"""Slash commands, buttons and the message shortcut through the real slack-bolt and the fake Slack."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from tests.fakes import slack_events as payloads
from tests.slack.conftest import (
    ALERTS,
    ALICE,
    BOB,
    BREACH,
    CAROL,
    COMMITTEE_GROUP,
    DAVE,
    GENERAL,
    SERIOUS,
    TEAM,
    Harness,
    eventually,
)


async def _incident(harness: Harness, text: str = BREACH, user: str = ALICE) -> dict:
    event = payloads.message(user, GENERAL, text)
    done = harness.bot.handled_events
    await harness.event(event)
    await harness.settled(done + 1)
    rows = harness.incidents()
    assert rows, "the message should have made an incident"
    return {"row": rows[-1], "event": event}


async def _answer(harness: Harness, key: str) -> str:
    await eventually(lambda: bool(harness.responses(key)), what=f"an answer at {key}")
    answers = harness.responses(key)
    assert len(answers) == 1
    return answers[0].text + json.dumps(answers[0].blocks)


async def test_policy_answers_everyone_in_the_acknowledgement(harness: Harness) -> None:
    answer = await harness.command_ack("/policy", "5.5.1", BOB)
    assert answer.get("response_type") == "ephemeral"
    assert "5.5.1" in json.dumps(answer)
    searched = await harness.command_ack("/policy", "copyright", BOB)
    assert "5.5" in json.dumps(searched) or "copyright" in json.dumps(searched).lower()
    index = await harness.command_ack("/policy", "", BOB)
    assert "5.5.1" in json.dumps(index)


async def test_incidents_works_for_the_committee_group_and_channel(harness: Harness) -> None:
    first = await _incident(harness)
    incident_id = first["row"]["id"]

    listed = await _answer(harness, await harness.command("/incidents", "list", CAROL))  # via the user group
    assert f"#{incident_id}" in listed and "5.5.3" in listed
    listed_by_dave = await _answer(harness, await harness.command("/incidents", "list open", DAVE))  # via channel
    assert f"#{incident_id}" in listed_by_dave

    shown = await _answer(harness, await harness.command("/incidents", f"show {incident_id}", CAROL))
    assert f"Incident #{incident_id}" in shown and "Audit trail" in shown
    assert "nudgebot_review_confirm" in shown and "nudgebot_review_reopen" not in shown  # the steps open to it

    reviewed = await _answer(harness, await harness.command(
        "/incidents", f"review {incident_id} confirm spoke to them after training", CAROL))
    assert "confirmed" in reviewed
    assert harness.incidents()[0]["status"] == "confirmed"
    with sqlite3.connect(harness.settings.db_path) as db:
        actors = db.execute("SELECT actor_id, action, note FROM incident_events WHERE incident_id = ?",
                            (incident_id,)).fetchall()
    assert (CAROL, "confirm", "spoke to them after training") in actors

    stats = await _answer(harness, await harness.command("/incidents", "stats 7", CAROL))
    assert "Incidents" in stats and "5.5.3" in stats


async def test_incidents_is_refused_to_everyone_else_revealing_nothing(harness: Harness) -> None:
    first = await _incident(harness)
    for text in ("list", f"show {first['row']['id']}", f"review {first['row']['id']} dismiss", "export", "stats"):
        answer = await _answer(harness, await harness.command("/incidents", text, BOB))
        assert "only for the committee" in answer
        assert f"#{first['row']['id']}" not in answer and "5.5.3" not in answer
    assert harness.incidents()[0]["status"] == "open"
    assert harness.fake.files == {}


async def test_committee_membership_is_checked_with_slack_on_every_call(harness: Harness) -> None:
    await _incident(harness)
    fake = harness.fake
    assert "#1" in await _answer(harness, await harness.command("/incidents", "list", CAROL))
    calls_before = len(fake.calls_to("usergroups.users.list"))
    fake.add_usergroup(COMMITTEE_GROUP, [])  # Carol leaves the committee
    answer = await _answer(harness, await harness.command("/incidents", "list", CAROL))
    assert "only for the committee" in answer
    assert len(fake.calls_to("usergroups.users.list")) == calls_before + 1


async def test_export_is_uploaded_to_the_requester_privately(harness: Harness) -> None:
    first = await _incident(harness)
    answer = await _answer(harness, await harness.command("/incidents", "export csv", CAROL))
    assert "direct message" in answer
    fake = harness.fake
    dm = fake.dm_channel(CAROL)
    assert dm is not None
    (uploaded,) = fake.files.values()
    assert uploaded.completed and uploaded.channel == dm and uploaded.filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(uploaded.content.decode())))
    assert [int(r["id"]) for r in rows] == [first["row"]["id"]]
    assert rows[0]["author_id"] == ALICE
    # Nothing went to a shared channel.
    assert fake.messages_in(GENERAL) == [] and fake.messages_in(ALERTS) == []


async def test_bad_incidents_input_gets_usage_not_a_crash(harness: Harness) -> None:
    answer = await _answer(harness, await harness.command("/incidents", "review twelve confirm", CAROL))
    assert "not an incident number" in answer
    answer = await _answer(harness, await harness.command("/incidents", "show 999", CAROL))
    assert "no incident #999" in answer


async def test_alert_buttons_change_the_incident_status(harness: Harness) -> None:
    first = await _incident(harness, SERIOUS)
    fake = harness.fake
    await eventually(lambda: bool(fake.messages_in(ALERTS)), what="committee alert")
    alert = fake.messages_in(ALERTS)[0]
    value = str(first["row"]["id"])
    message = {"type": "message", "ts": alert.ts, "text": alert.text, "blocks": alert.blocks}

    # A member who is not on the committee cannot use the buttons.
    refused_key = "refused"
    await harness.interaction(payloads.block_action(TEAM, BOB, ALERTS, "nudgebot_review_dismiss", value,
                                                    fake.response_url(refused_key), message=message))
    assert "only for the committee" in await _answer(harness, refused_key)
    assert harness.incidents()[0]["status"] == "open"

    await harness.interaction(payloads.block_action(TEAM, CAROL, ALERTS, "nudgebot_review_confirm", value,
                                                    fake.response_url("confirm"), message=message))
    await eventually(lambda: bool(harness.responses("confirm")), what="alert updated")
    updated = harness.responses("confirm")
    assert updated[0].raw.get("replace_original") is True
    assert f"Confirmed by <@{CAROL}>" in json.dumps(updated[0].blocks)
    assert "nudgebot_review_" not in json.dumps(updated[0].blocks)  # buttons gone once acted on
    assert harness.incidents()[0]["status"] == "confirmed"

    await harness.interaction(payloads.block_action(TEAM, DAVE, ALERTS, "nudgebot_review_escalate", value,
                                                    fake.response_url("escalate"), message=message))
    await eventually(lambda: harness.incidents()[0]["status"] == "escalated", what="escalated")


async def test_nudge_buttons_record_the_posters_feedback(harness: Harness) -> None:
    first = await _incident(harness)
    incident_id = str(first["row"]["id"])
    fake = harness.fake
    await harness.interaction(payloads.block_action(TEAM, ALICE, GENERAL, "nudgebot_nudge_mistake", incident_id,
                                                    fake.response_url("mistake"), container_type="ephemeral"))
    assert "committee will take a look" in await _answer(harness, "mistake")
    with sqlite3.connect(harness.settings.db_path) as db:
        assert db.execute("SELECT user_id, kind FROM feedback").fetchall() == [(ALICE, "mistake")]

    # Only the poster's answer counts.
    await harness.interaction(payloads.block_action(TEAM, BOB, GENERAL, "nudgebot_nudge_fixed", incident_id,
                                                    fake.response_url("other"), container_type="ephemeral"))
    assert "Only the person who posted" in await _answer(harness, "other")
    with sqlite3.connect(harness.settings.db_path) as db:
        assert db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1


async def test_report_to_committee_opens_a_modal_and_alerts_the_committee(harness: Harness) -> None:
    fake = harness.fake
    reported = payloads.message(ALICE, GENERAL, "you lot are useless, honestly")
    await harness.interaction(payloads.message_shortcut(TEAM, BOB, GENERAL, "nudgebot_report", reported,
                                                        fake.response_url("report")))
    await eventually(lambda: bool(fake.views), what="the report modal")
    assert fake.messages_in(ALERTS) == []  # nothing is reported until the member submits

    answer = await harness.interaction(payloads.view_submission(
        TEAM, BOB, fake.views[0], {"note": {"note": "third time this week"}}))
    assert answer.get("response_action") == "update" and "Thank you" in json.dumps(answer["view"])
    await eventually(lambda: bool(fake.messages_in(ALERTS)), what="the report in the alert channel")
    alert = json.dumps(fake.messages_in(ALERTS)[0].blocks)
    assert "reported a message" in alert and f"<@{ALICE}>" in alert and "third time this week" in alert
    assert BOB not in alert  # the reporter is never named in the alert


async def test_report_without_a_modal_still_reaches_the_committee(harness: Harness) -> None:
    fake = harness.fake
    fake.fail_next("views.open", "expired_trigger_id")
    reported = payloads.message(ALICE, GENERAL, "you lot are useless, honestly")
    await harness.interaction(payloads.message_shortcut(TEAM, BOB, GENERAL, "nudgebot_report", reported,
                                                        fake.response_url("report")))
    assert "committee has been told" in await _answer(harness, "report")
    await eventually(lambda: bool(fake.messages_in(ALERTS)), what="the report in the alert channel")
    assert BOB not in json.dumps(fake.messages_in(ALERTS)[0].blocks)


async def test_committee_check_survives_rate_limiting(harness: Harness) -> None:
    await _incident(harness)
    harness.fake.rate_limit_next("usergroups.users.list", times=1, retry_after=0)
    assert "#1" in await _answer(harness, await harness.command("/incidents", "list", CAROL))
    assert [c.status for c in harness.fake.calls_to("usergroups.users.list")] == [429, 200]


async def test_json_export_holds_only_the_filtered_incidents(harness: Harness) -> None:
    await _incident(harness)
    await _incident(harness, user=BOB)
    await _answer(harness, await harness.command("/incidents", f"export json <@{BOB}|bob>", DAVE))
    (uploaded,) = harness.fake.files.values()
    document = json.loads(uploaded.content)
    assert document["count"] == 1 and document["incidents"][0]["author_id"] == BOB
    assert uploaded.channel == harness.fake.dm_channel(DAVE)


async def test_buttons_on_an_incident_shown_to_the_committee(harness: Harness) -> None:
    first = await _incident(harness)
    value = str(first["row"]["id"])
    await _answer(harness, await harness.command("/incidents", f"show {value}", CAROL))
    await harness.interaction(payloads.block_action(TEAM, CAROL, GENERAL, "nudgebot_review_resolve", value,
                                                    harness.fake.response_url("resolve"), container_type="ephemeral"))
    assert f"Resolved by <@{CAROL}>" in await _answer(harness, "resolve")
    assert harness.incidents()[0]["status"] == "resolved"
    # A second press of a stale button is refused with what can be done now, not a crash.
    await harness.interaction(payloads.block_action(TEAM, CAROL, GENERAL, "nudgebot_review_resolve", value,
                                                    harness.fake.response_url("again"), container_type="ephemeral"))
    assert "cannot resolve" in await _answer(harness, "again")
