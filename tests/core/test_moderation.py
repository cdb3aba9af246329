"""The moderator on a real SQLite store and the real scanner: decisions, rate window, edits, welfare, alerts."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core import Core, open_core
from bot.detection.clauses import PolicyBook
from bot.detection.scanner import Scanner
from bot.models import (
    AlertKind,
    Community,
    Decision,
    DeliveryResult,
    DeliveryStatus,
    IncidentQuery,
    IncidentStatus,
    NudgeMode,
    Platform,
    Severity,
)
from bot.nudges import render_alert_text
from tests.core.pipeline import SimClock, edit, fail_fast_when_locked, make_settings, message

SLUR = "you are such a retard mate"  # 5.5.1, high severity
INSULT = "honestly you're a complete idiot"  # 5.5.3, medium
PHONE = "her number is 07700 900123 if anyone wants it"  # 5.5.5


async def _count(core: Core) -> int:
    return await core.store.count_incidents(IncidentQuery())


async def _save(core: Core, clock: SimClock, **changes: object) -> None:
    community = replace(Community(platform=Platform.DISCORD, community_id="g1"), **changes)  # type: ignore[arg-type]
    await core.store.save_community(community, clock())


async def test_a_clean_message_is_ignored_and_nothing_is_recorded(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, "see you all at the social on friday"))
    assert outcome.decision is Decision.IGNORE and outcome.nudge is None and outcome.incident_id is None
    assert await _count(core) == 0


async def test_a_breach_is_committed_before_the_nudge_is_returned(core: Core, clock: SimClock) -> None:
    event = message(clock, SLUR, author="u7")
    outcome = await core.moderator.handle(event)
    assert outcome.decision is Decision.NUDGE and outcome.nudge is not None
    assert outcome.incident_id == outcome.nudge.incident_id
    incident = await core.store.get_incident(outcome.incident_id)
    assert incident is not None
    assert incident.delivery_status is DeliveryStatus.PENDING and incident.status is IncidentStatus.OPEN
    assert incident.clauses[0] == "5.5.1" and incident.author_id == "u7" and incident.message_id == event.message_id
    # The stored excerpt is masked the same way as the nudge's, and the full text is not kept by default.
    assert incident.excerpt == outcome.nudge.excerpt and "r****d" in incident.excerpt
    assert "retard" not in incident.excerpt and incident.content is None
    assert outcome.nudge.recipient_id == "u7" and outcome.nudge.clause_id == "5.5.1"


async def test_full_content_is_kept_only_where_the_community_chose_it(core: Core, clock: SimClock) -> None:
    await _save(core, clock, keep_full_content=True)
    kept = await core.moderator.handle(message(clock, SLUR))
    other = await core.moderator.handle(message(clock, SLUR, community="g2"))
    assert kept.incident_id is not None and other.incident_id is not None
    assert (await core.store.get_incident(kept.incident_id)).content == SLUR  # type: ignore[union-attr]
    assert (await core.store.get_incident(other.incident_id)).content is None  # type: ignore[union-attr]


async def test_one_nudge_per_person_per_clause_per_window(core: Core, clock: SimClock) -> None:
    first = await core.moderator.handle(message(clock, SLUR))
    clock.advance(hours=2)
    second = await core.moderator.handle(message(clock, "what a faggot"))  # same clause 5.5.1
    other_clause = await core.moderator.handle(message(clock, INSULT))  # 5.5.3: its own nudge
    someone_else = await core.moderator.handle(message(clock, SLUR, author="u2"))
    assert first.decision is Decision.NUDGE
    assert second.decision is Decision.RECORD and second.nudge is None and second.incident_id is not None
    assert (await core.store.get_incident(second.incident_id)).delivery_status is DeliveryStatus.SUPPRESSED  # type: ignore[union-attr]
    assert other_clause.decision is Decision.NUDGE and someone_else.decision is Decision.NUDGE
    clock.advance(hours=23)  # 25 h after the first nudge: the window has passed
    later = await core.moderator.handle(message(clock, SLUR))
    assert later.decision is Decision.NUDGE
    assert await _count(core) == 5  # every breach is recorded, nudged or not


async def test_audit_mode_records_with_delivery_suppressed_and_nothing_to_send(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, SLUR), deliver=False)
    assert outcome.decision is Decision.RECORD and outcome.nudge is None and outcome.incident_id is not None
    incident = await core.store.get_incident(outcome.incident_id)
    assert incident is not None and incident.delivery_status is DeliveryStatus.SUPPRESSED
    assert await core.moderator.pending_nudges() == []


async def test_record_only_and_off_communities(core: Core, clock: SimClock) -> None:
    await _save(core, clock, nudge_mode=NudgeMode.RECORD)
    recorded = await core.moderator.handle(message(clock, SLUR))
    assert recorded.decision is Decision.RECORD and recorded.nudge is None and await _count(core) == 1
    await _save(core, clock, nudge_mode=NudgeMode.OFF)
    off = await core.moderator.handle(message(clock, SLUR))
    assert off.decision is Decision.IGNORE and await _count(core) == 1


async def test_under18_channels_apply_clause_5_2(core: Core, clock: SimClock) -> None:
    text = "fucking hell this is shit"
    assert (await core.moderator.handle(message(clock, text, channel="open"))).decision is Decision.IGNORE
    await _save(core, clock, under18_channels=("freshers",))
    outcome = await core.moderator.handle(message(clock, text, channel="freshers"))
    assert outcome.decision is Decision.NUDGE and outcome.nudge is not None and outcome.nudge.clause_id == "5.2"


async def test_an_edit_that_removes_the_breach_marks_it_corrected_by_poster(core: Core, clock: SimClock) -> None:
    original = message(clock, SLUR)
    first = await core.moderator.handle(original)
    clock.advance(minutes=3)
    fixed = await core.moderator.handle(edit(original, clock, "you are such a legend mate"))
    assert fixed.decision is Decision.CORRECTED and fixed.incident_id == first.incident_id
    assert first.incident_id is not None
    incident = await core.store.get_incident(first.incident_id)
    assert incident is not None and incident.status is IncidentStatus.CORRECTED
    events = await core.store.events(first.incident_id)
    assert any(e.action == "corrected by poster" and "5.6.6" in e.note for e in events)
    # Corrected before delivery: the outbox must not send it after a restart.
    assert incident.delivery_status is DeliveryStatus.NOT_NEEDED
    assert await core.moderator.pending_nudges() == []


async def test_an_edit_that_still_breaches_makes_its_own_incident(core: Core, clock: SimClock) -> None:
    original = message(clock, INSULT)
    first = await core.moderator.handle(original)
    worse = await core.moderator.handle(edit(original, clock, SLUR))
    assert worse.incident_id is not None and worse.incident_id != first.incident_id
    incident = await core.store.get_incident(worse.incident_id)
    assert incident is not None and incident.revision == 1 and incident.clauses[0] == "5.5.1"
    again = await core.moderator.handle(edit(original, clock, SLUR))  # the same revision delivered twice
    assert again.decision is Decision.DUPLICATE and again.incident_id == worse.incident_id
    assert await _count(core) == 2


async def test_the_same_message_twice_makes_one_incident(core: Core, clock: SimClock) -> None:
    event = message(clock, SLUR)
    first = await core.moderator.handle(event)
    replay = await core.moderator.handle(event)
    assert replay.decision is Decision.DUPLICATE and replay.incident_id == first.incident_id and replay.nudge is None
    assert await _count(core) == 1


@pytest.mark.parametrize("alerts_on", [False, True])
async def test_welfare_gets_support_and_never_an_incident(core: Core, clock: SimClock, alerts_on: bool) -> None:
    await _save(core, clock, welfare_alerts=alerts_on, welfare_contact="the welfare officer")
    outcome = await core.moderator.handle(message(clock, "I want to kill myself", author="u5"))
    assert outcome.decision is Decision.WELFARE and outcome.nudge is None and outcome.incident_id is None
    assert outcome.welfare is not None and outcome.welfare.recipient_id == "u5"
    assert outcome.welfare.text == core.settings.welfare_text and "116 123" in outcome.welfare.text
    assert await _count(core) == 0
    kinds = [a.kind for a in outcome.alerts]
    assert kinds == ([AlertKind.WELFARE] if alerts_on else [])


async def test_welfare_text_comes_from_settings(tmp_path: Path, scanner: Scanner, policy: PolicyBook,
                                                clock: SimClock) -> None:
    settings = make_settings(tmp_path, NUDGEBOT_WELFARE_TEXT="Talk to us: the Advice Service is open 9-5.")
    opened = await open_core(settings, clock=clock, scanner=scanner, policy=policy)
    try:
        outcome = await opened.moderator.handle(message(clock, "I want to kill myself"))
        assert outcome.welfare is not None and outcome.welfare.text == "Talk to us: the Advice Service is open 9-5."
    finally:
        await opened.close()


async def test_quoting_abuse_to_challenge_it_is_not_nudged(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, "Why would you think it's okay to call me a retard?"))
    assert outcome.decision is Decision.IGNORE and outcome.nudge is None
    assert outcome.verdict.suppressed  # the scanner saw it and withdrew it as counter-speech
    assert await _count(core) == 0


async def test_serious_incidents_alert_the_committee_with_the_repeat_count(core: Core, clock: SimClock) -> None:
    await core.moderator.handle(message(clock, INSULT, author="u9"))
    outcome = await core.moderator.handle(message(clock, SLUR, author="u9"))
    alerts = [a for a in outcome.alerts if a.kind is AlertKind.HIGH_SEVERITY]
    assert len(alerts) == 1 and alerts[0].incident_ids == (outcome.incident_id,)
    assert alerts[0].severity is Severity.HIGH and "in all: 2" in alerts[0].summary
    assert "retard" not in render_alert_text(alerts[0])
    medium = await core.moderator.handle(message(clock, PHONE, author="u3"))
    assert not [a for a in medium.alerts if a.kind is AlertKind.HIGH_SEVERITY]


async def test_a_refused_nudge_alerts_the_committee(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, PHONE))
    assert outcome.incident_id is not None
    alerts = await core.moderator.report_delivery(outcome.incident_id,
                                                  DeliveryResult(DeliveryStatus.REFUSED, "50007"))
    assert [a.kind for a in alerts] == [AlertKind.NUDGE_REFUSED] and "50007" in alerts[0].summary
    incident = await core.store.get_incident(outcome.incident_id)
    assert incident is not None and incident.delivery_status is DeliveryStatus.REFUSED
    assert await core.moderator.report_delivery(outcome.incident_id, DeliveryResult(DeliveryStatus.DELIVERED)) == ()


async def test_a_member_report_never_names_the_reporter(core: Core, clock: SimClock) -> None:
    event = message(clock, SLUR, author="u1")
    recorded = await core.moderator.handle(event)
    alert = await core.moderator.report_message("reporter-42", event, "this keeps happening")
    assert alert.kind is AlertKind.MEMBER_REPORT and alert.incident_ids == (recorded.incident_id,)
    shown = render_alert_text(alert)
    assert "reporter-42" not in shown and "name-reporter-42" not in shown and "retard" not in shown
    assert "this keeps happening" in shown
    assert recorded.incident_id is not None
    events = await core.store.events(recorded.incident_id)
    assert any(e.action == "reported by a member" for e in events)
    # Nowhere in the database either: the audit trail reaches the reported member through subject access.
    with sqlite3.connect(core.settings.db_path) as db:
        assert not any("reporter-42" in line for line in db.iterdump())
    # A report about a message nudgebot passed still reaches the committee, for people to judge.
    clean = await core.moderator.report_message("reporter-42", message(clock, "meet at 6?"), "")
    assert clean.kind is AlertKind.MEMBER_REPORT and clean.incident_ids == ()


async def test_only_the_poster_may_give_feedback(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, SLUR, author="u1"))
    assert outcome.incident_id is not None
    assert await core.moderator.member_feedback(outcome.incident_id, "u2", "mistake", "not me") is False
    assert await core.moderator.member_feedback(999_999, "u1", "mistake") is False
    assert await core.moderator.member_feedback(outcome.incident_id, "u1", "mistake", "I meant it kindly") is True
    assert await core.moderator.member_feedback(outcome.incident_id, "u1", "fixed") is True
    events = await core.store.events(outcome.incident_id)
    assert [e.action for e in events if e.action.startswith("feedback")] == ["feedback mistake", "feedback fixed"]
    assert not any(e.actor_id == "u2" for e in events)
    incident = await core.store.get_incident(outcome.incident_id)
    assert incident is not None and incident.status is IncidentStatus.OPEN  # "fixed" alone corrects nothing


class _Exploding:
    """A scanner stand-in that fails, to show one bad message cannot take the bot down."""

    rule_set = None

    def scan(self, *_: object) -> None:
        raise RuntimeError("boom")


async def test_an_unexpected_error_is_logged_with_ids_and_the_bot_carries_on(
        core: Core, clock: SimClock, caplog: pytest.LogCaptureFixture) -> None:
    working = core.moderator.scanner
    core.moderator.scanner = _Exploding()  # type: ignore[assignment]
    secret_text = "unique-secret-content-xyz"
    event = message(clock, secret_text)
    with caplog.at_level(logging.INFO):
        outcome = await core.moderator.handle(event)
    assert outcome.decision is Decision.IGNORE
    record = next(r for r in caplog.records if r.levelno >= logging.ERROR)
    assert record.message_id == event.message_id  # type: ignore[attr-defined]
    assert all(secret_text not in r.getMessage() and secret_text not in str(r.__dict__) for r in caplog.records
               if r.levelno > logging.DEBUG)
    core.moderator.scanner = working
    assert (await core.moderator.handle(message(clock, SLUR))).decision is Decision.NUDGE


async def test_a_locked_database_keeps_the_incident_in_memory_and_retries(
        core: Core, clock: SimClock, monkeypatch: pytest.MonkeyPatch) -> None:
    await fail_fast_when_locked(core, monkeypatch)
    blocker = sqlite3.connect(core.settings.db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        outcome = await core.moderator.handle(message(clock, SLUR, author="u4"))
        assert [a.kind for a in outcome.alerts] == [AlertKind.STORE_DEGRADED]
        assert outcome.nudge is None and outcome.incident_id is None  # nothing to send before it is committed
        assert core.moderator.pending_count == 1
        assert await core.moderator.flush() == 0 and core.moderator.pending_count == 1
        # The committee is told once per outage, not once per message.
        again = await core.moderator.handle(message(clock, "what a faggot", author="u5"))
        assert again.alerts == () and again.nudge is None and core.moderator.pending_count == 2
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert await core.moderator.flush() == 2 and core.moderator.pending_count == 0
    nudges = await core.moderator.pending_nudges()
    assert [n.recipient_id for n in nudges] == ["u4", "u5"]
    assert await _count(core) == 2


async def test_two_messages_at_once_from_one_person_get_one_nudge(core: Core, clock: SimClock) -> None:
    outcomes = await asyncio.gather(*(core.moderator.handle(message(clock, SLUR, author="u6")) for _ in range(5)))
    assert sum(o.nudge is not None for o in outcomes) == 1
    assert sorted(o.decision for o in outcomes) == sorted([Decision.NUDGE] + [Decision.RECORD] * 4)
    assert await _count(core) == 5


async def test_the_next_message_records_what_was_held_once_the_database_recovers(
        core: Core, clock: SimClock, monkeypatch: pytest.MonkeyPatch) -> None:
    await fail_fast_when_locked(core, monkeypatch)
    monkeypatch.setattr("bot.moderation.held.FLUSH_RETRY_SECONDS", 0.0)
    blocker = sqlite3.connect(core.settings.db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        held = await core.moderator.handle(message(clock, SLUR, author="u4"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert held.incident_id is None and core.moderator.pending_count == 1
    after = await core.moderator.handle(message(clock, "see you at the social"))
    assert after.decision is Decision.IGNORE and core.moderator.pending_count == 0
    assert await _count(core) == 1


async def test_a_clean_edit_of_an_incident_under_review_leaves_the_decision_to_the_committee(
        core: Core, clock: SimClock) -> None:
    original = message(clock, SLUR)
    first = await core.moderator.handle(original)
    assert first.incident_id is not None
    await core.store.set_status(first.incident_id, IncidentStatus.CONFIRMED, "committee-1", "confirm", "")
    outcome = await core.moderator.handle(edit(original, clock, "you are such a legend mate"))
    assert outcome.decision is Decision.IGNORE
    incident = await core.store.get_incident(first.incident_id)
    assert incident is not None and incident.status is IncidentStatus.CONFIRMED
    assert [e.action for e in await core.store.events(first.incident_id)][-1] == "edited by poster"


async def test_a_malformed_event_is_ignored_not_fatal(core: Core, clock: SimClock) -> None:
    broken = replace(message(clock, "x"), text=None, targets=None)  # type: ignore[arg-type]
    assert (await core.moderator.handle(broken)).decision is Decision.IGNORE
    assert (await core.moderator.handle(message(clock, SLUR))).decision is Decision.NUDGE


async def test_an_unreadable_table_loses_no_incident(core: Core, clock: SimClock) -> None:
    # The incidents table vanishes under the bot (reads and writes both fail), then comes back.
    with sqlite3.connect(core.settings.db_path) as db:
        db.execute("ALTER TABLE incidents RENAME TO incidents_away")
    outcome = await core.moderator.handle(message(clock, SLUR, author="u8", targets=("u9",)))
    assert [a.kind for a in outcome.alerts] == [AlertKind.STORE_DEGRADED] and core.moderator.pending_count == 1
    with sqlite3.connect(core.settings.db_path) as db:
        db.execute("ALTER TABLE incidents_away RENAME TO incidents")
    assert await core.moderator.flush() == 1
    assert [n.recipient_id for n in await core.moderator.pending_nudges()] == ["u8"]


async def test_a_delivery_reported_while_the_database_is_locked_is_not_resent(
        core: Core, clock: SimClock, monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = await core.moderator.handle(message(clock, SLUR))
    assert outcome.incident_id is not None
    await fail_fast_when_locked(core, monkeypatch)
    blocker = sqlite3.connect(core.settings.db_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert await core.moderator.report_delivery(outcome.incident_id,
                                                    DeliveryResult(DeliveryStatus.DELIVERED)) == ()
        assert core.moderator.pending_count == 1
        assert await core.moderator.pending_nudges() == []  # held as delivered: not given again
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await core.moderator.flush()
    assert core.moderator.pending_count == 0 and await core.moderator.pending_nudges() == []
    incident = await core.store.get_incident(outcome.incident_id)
    assert incident is not None and incident.delivery_status is DeliveryStatus.DELIVERED


async def test_a_thread_under_an_under18_channel_gets_clause_5_2(core: Core, clock: SimClock) -> None:
    text = "fucking hell this is shit"
    await _save(core, clock, under18_channels=("freshers",))
    outside = replace(message(clock, text, channel="thread-1"), parent_channel_id="open")
    assert (await core.moderator.handle(outside)).decision is Decision.IGNORE
    inside = replace(message(clock, text, channel="thread-2"), parent_channel_id="freshers")
    outcome = await core.moderator.handle(inside)
    assert outcome.decision is Decision.NUDGE and outcome.nudge is not None and outcome.nudge.clause_id == "5.2"


async def test_an_incident_keeps_its_channels_name_for_the_report(core: Core, clock: SimClock) -> None:
    from datetime import UTC, datetime

    from bot.report import gather_report, render_report

    event = replace(message(clock, "honestly you are a complete idiot", channel="C0GEN"), channel_name="general")
    outcome = await core.moderator.handle(event)
    assert outcome.incident_id is not None
    assert await core.store.names(event.platform, event.community_id, "channel") == {"C0GEN": "general"}
    await core.store.save_community(Community(event.platform, event.community_id, name="Film Soc"), clock())
    page = render_report(await gather_report(core.store, now=datetime.now(UTC)))
    assert "#general" in page and ">C0GEN<" not in page


async def test_sexual_content_involving_a_child_is_nudged_and_the_alert_carries_safeguarding_steps(
        core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, "she's only 14 and she sends nudes to the lads", author="u4"))
    assert outcome.nudge is not None
    [alert] = [a for a in outcome.alerts if a.kind is AlertKind.HIGH_SEVERITY]
    assert alert.severity is Severity.CRITICAL
    assert "Safeguarding" in alert.summary and "CEOP" in alert.summary and "Do not download" in alert.summary
    other = await core.moderator.handle(message(clock, SLUR, author="u6"))
    [plain] = [a for a in other.alerts if a.kind is AlertKind.HIGH_SEVERITY]
    assert "Safeguarding" not in plain.summary


async def test_a_number_whose_owner_is_not_said_is_held_and_the_alert_says_why(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, "07700 900574", author="u8"))
    assert outcome.decision is Decision.REVIEW and outcome.nudge is None
    [alert] = outcome.alerts
    assert "does not say whose these details are" in alert.summary
