"""The Slack adapter's plain parts: event translation, /incidents parsing and Block Kit rendering."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from bot.errors import InputError
from bot.models import AlertKind, CommitteeAlert, IncidentStatus, Nudge, Platform, ReviewAction
from bot.slack import blocks
from bot.slack.commands import parse_incidents
from bot.slack.events import from_message_event, from_shortcut, permalink, revision_of
from tests.fakes import slack_events as payloads

TEAM = "T0LEICSU"
URL = "https://leicester-su.slack.com/"


def test_a_post_becomes_a_message_event_with_targets_and_permalink() -> None:
    event = payloads.message("U0ALICE", "C0GENERAL", "<@U0BOB> and <@U0CAROL|carol> look", ts="1700000000.000100",
                             thread_ts="1699999999.000001", parent_user_id="U0DAVE")
    message = from_message_event(TEAM, event, URL)
    assert message is not None
    assert message.platform is Platform.SLACK and message.community_id == TEAM
    assert message.message_id == "C0GENERAL:1700000000.000100" and message.revision == 0 and not message.is_edit
    assert message.targets == ("U0BOB", "U0CAROL", "U0DAVE")
    assert message.permalink == "https://leicester-su.slack.com/archives/C0GENERAL/p1700000000000100"
    assert message.created_at == datetime.fromtimestamp(1700000000.0001, tz=UTC)


def test_edits_rise_in_revision_and_unfurls_are_not_edits() -> None:
    original = payloads.message("U0ALICE", "C0GENERAL", "first", ts="1700000000.000100")
    first = from_message_event(TEAM, payloads.edit(original, "second", edited_ts="1700000050.000200"))
    second = from_message_event(TEAM, payloads.edit(original, "third", edited_ts="1700000100.000001"))
    assert first is not None and second is not None
    assert first.is_edit and first.message_id == "C0GENERAL:1700000000.000100" and first.text == "second"
    assert 0 < first.revision < second.revision
    unfurl = payloads.edit(original, "first")
    del unfurl["message"]["edited"]
    assert from_message_event(TEAM, unfurl) is None
    assert revision_of("1700000000.5") == 1_700_000_000_500_000


@pytest.mark.parametrize("extra", [{"bot_id": "B1"}, {"subtype": "bot_message"}, {"subtype": "channel_join"},
                                   {"subtype": "message_deleted"}, {"user": None}])
def test_bots_and_system_messages_are_not_moderated(extra: dict) -> None:
    event = payloads.message("U0ALICE", "C0GENERAL", "text")
    event.update(extra)
    assert from_message_event(TEAM, event) is None


def test_shortcut_payload_becomes_the_reported_message() -> None:
    reported = payloads.message("U0ALICE", "C0GENERAL", "hello <@U0BOB>")
    payload = payloads.message_shortcut(TEAM, "U0BOB", "C0GENERAL", blocks.REPORT_CALLBACK, reported, "http://x")
    message = from_shortcut(TEAM, payload, URL)
    assert message is not None and message.author_id == "U0ALICE" and message.targets == ("U0BOB",)
    assert permalink("", "C1", "1.2") == ""


def test_incidents_parsing() -> None:
    request = parse_incidents("list open clause 5.5.1 <@U0ALICE|alice> <#C0GENERAL|general> page 2")
    assert (request.status, request.clause, request.author_id, request.channel_id, request.page) == (
        IncidentStatus.OPEN, "5.5.1", "U0ALICE", "C0GENERAL", 2)
    query = request.query(TEAM)
    assert query.platform is Platform.SLACK and query.community_id == TEAM and query.offset == 25
    review = parse_incidents("review #12 dismiss banter between friends")
    assert (review.incident_id, review.action, review.note) == (12, ReviewAction.DISMISS, "banter between friends")
    assert parse_incidents("export json 5.5.3").fmt == "json"
    assert parse_incidents("stats 7").days == 7
    assert parse_incidents("").verb == "help"


@pytest.mark.parametrize("text", ["delete 3", "show", "show twelve", "review 3 approve", "stats 0", "stats many",
                                  "list purple", "list clause five"])
def test_bad_incidents_input_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        parse_incidents(text)


def _nudge(excerpt: str) -> Nudge:
    return Nudge(incident_id=7, platform=Platform.SLACK, community_id=TEAM, channel_id="C0GENERAL",
                 message_id="C0GENERAL:1.1", recipient_id="U0ALICE", clause_id="5.5.3", clause_heading="Insults",
                 plain_words="Don't insult people.", category="Insult", excerpt=excerpt, what_to_do="Edit it.",
                 lookup_hint="/policy 5.5.3", mistake_hint="Press the button if this is wrong.")


def test_member_text_cannot_ping_or_forge_links() -> None:
    text, rendered = blocks.nudge_message(_nudge("<!channel> <https://evil.example|click> & i****t"))
    dumped = json.dumps(rendered)
    assert "<!channel>" not in dumped and "<https://evil" not in dumped
    assert "&lt;!channel&gt;" in dumped and "&amp;" in dumped
    assert "5.5.3" in text


def test_long_text_is_cut_to_slacks_limits() -> None:
    _, rendered = blocks.nudge_message(_nudge("x" * 5000))
    assert all(len(b["text"]["text"]) <= 3000 for b in rendered if b["type"] == "section")


def test_alert_buttons_only_when_there_are_incidents() -> None:
    with_incidents = CommitteeAlert(kind=AlertKind.HIGH_SEVERITY, platform=Platform.SLACK, community_id=TEAM,
                                    summary="s", incident_ids=(3, 4))
    _, rendered = blocks.alert_message(with_incidents)
    (actions,) = [b for b in rendered if b["type"] == "actions"]
    assert {e["value"] for e in actions["elements"]} == {"3,4"}
    _, plain = blocks.alert_message(CommitteeAlert(kind=AlertKind.STORE_DEGRADED, platform=Platform.SLACK,
                                                   community_id=TEAM, summary="db down"))
    assert not [b for b in plain if b["type"] == "actions"]
    reviewed = blocks.reviewed_alert(rendered, "Confirmed by <@U0CAROL>")
    assert not [b for b in reviewed if b["type"] == "actions"] and "Confirmed" in json.dumps(reviewed)


def test_the_nudge_names_its_buttons_as_they_are_labelled() -> None:
    from bot.detection.clauses import load_policy
    from bot.nudges import build_nudge

    nudge = build_nudge(incident_id=7, platform=Platform.SLACK, community_id=TEAM, channel_id="C0GENERAL",
                        message_id="C0GENERAL:1.1", recipient_id="U0ALICE", clauses=("5.5.3",), category="Insult",
                        excerpt="i****t", policy=load_policy())
    _, rendered = blocks.nudge_message(nudge)
    labels = [e["text"]["text"] for b in rendered if b["type"] == "actions" for e in b["elements"]]
    prose = " ".join(e["text"] for b in rendered if b["type"] == "context" for e in b["elements"])
    quoted = [q for q in re.findall(r"\u201c([^\u201d]+)\u201d", prose)]
    assert quoted and all(q in labels for q in quoted), (quoted, labels)
