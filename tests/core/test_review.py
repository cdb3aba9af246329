"""The committee review service on both backends (`store`): who may see what, transitions, exports and
statistics."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.detection.clauses import load_policy
from bot.errors import InputError, NotCommittee, ReviewError, UnknownIncident
from bot.models import IncidentQuery, IncidentStatus, Platform, Principal, ReviewAction
from bot.review import CommitteeReview, operator_principal
from bot.store import Store
from tests.core.test_store_methods import new

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
CHAIR = Principal(Platform.DISCORD, "g1", "chair", "Chair", is_committee=True)
MEMBER = Principal(Platform.DISCORD, "g1", "member", "Member", is_committee=False)
OTHER_CHAIR = Principal(Platform.DISCORD, "g2", "chair2", "Other chair", is_committee=True)
SAME_ID_ON_SLACK = Principal(Platform.SLACK, "g1", "chair3", is_committee=True)



@pytest.fixture
def review(store: Store) -> CommitteeReview:
    return CommitteeReview(store, load_policy(), clock=lambda: T0)


async def test_a_non_committee_member_is_refused_everything(store: Store, review: CommitteeReview) -> None:
    incident_id, _ = await store.record_incident(new("m1"))
    calls = [review.list(MEMBER, IncidentQuery()), review.count(MEMBER), review.show(MEMBER, incident_id),
             review.transition(MEMBER, incident_id, ReviewAction.DISMISS, "not me"),
             review.export(MEMBER, IncidentQuery(), "json"), review.stats(MEMBER)]
    for call in calls:
        with pytest.raises(NotCommittee):
            await call
    incident = await store.get_incident(incident_id)
    assert incident is not None and incident.status is IncidentStatus.OPEN
    assert [e.action for e in await store.events(incident_id)] == ["recorded"]


async def test_another_communitys_committee_sees_nothing(store: Store, review: CommitteeReview) -> None:
    mine, _ = await store.record_incident(new("m1", community="g1"))
    theirs, _ = await store.record_incident(new("m2", community="g2"))
    for outsider in (OTHER_CHAIR, SAME_ID_ON_SLACK):
        seen = await review.list(outsider, IncidentQuery(community_id="g1", platform=Platform.DISCORD))
        assert mine not in [i.id for i in seen]
        with pytest.raises(UnknownIncident):
            await review.show(outsider, mine)
        with pytest.raises(UnknownIncident):
            await review.transition(outsider, mine, ReviewAction.DISMISS)
        assert b"m1" not in await review.export(outsider, IncidentQuery(community_id="g1"), "csv")
    assert [i.id for i in await review.list(OTHER_CHAIR)] == [theirs]
    assert (await review.stats(OTHER_CHAIR)).total == 1
    assert [i.id for i in await review.list(CHAIR, IncidentQuery(community_id="g2"))] == [mine]


async def test_the_operator_sees_every_community_and_can_narrow(store: Store, review: CommitteeReview) -> None:
    await store.record_incident(new("m1", community="g1"))
    await store.record_incident(new("m2", community="g2"))
    operator = operator_principal()
    assert {i.message_id for i in await review.list(operator)} == {"m1", "m2"}
    narrowed = await review.list(operator, IncidentQuery(community_id="g2"))
    assert [i.message_id for i in narrowed] == ["m2"]
    assert (await review.stats(operator, community_id="g1")).total == 1


async def test_transitions_follow_the_workflow_and_leave_an_audit_trail(store: Store,
                                                                      review: CommitteeReview) -> None:
    incident_id, _ = await store.record_incident(new("m1"))
    confirmed = await review.transition(CHAIR, incident_id, ReviewAction.CONFIRM, "clear slur")
    assert confirmed.status is IncidentStatus.CONFIRMED
    with pytest.raises(ReviewError, match=r"cannot confirm incident #\d+: it is confirmed; from there you can: "
                                          r"dismiss, escalate, resolve, reopen"):
        await review.transition(CHAIR, incident_id, ReviewAction.CONFIRM)
    await review.transition(CHAIR, incident_id, "escalate", "second time this week")
    await review.transition(CHAIR, incident_id, ReviewAction.RESOLVE, "spoke to them")
    with pytest.raises(ReviewError, match="it is resolved"):
        await review.transition(CHAIR, incident_id, ReviewAction.DISMISS)
    await review.transition(CHAIR, incident_id, ReviewAction.REOPEN, "new evidence")
    await review.transition(CHAIR, incident_id, ReviewAction.DISMISS, "it was a quote")
    with pytest.raises(InputError, match="unknown review action 'ban'"):
        await review.transition(CHAIR, incident_id, "ban")
    with pytest.raises(InputError, match="keep it under"):
        await review.transition(CHAIR, incident_id, ReviewAction.REOPEN, "x" * 5000)
    with pytest.raises(UnknownIncident):
        await review.transition(CHAIR, 987654, ReviewAction.CONFIRM)

    detail = await review.show(CHAIR, incident_id)
    assert detail.incident.status is IncidentStatus.DISMISSED
    trail = [(e.actor_id, e.action, e.note) for e in detail.events]
    assert trail == [("nudgebot", "recorded", "hate.slur"), ("chair", "confirm", "clear slur"),
                     ("chair", "escalate", "second time this week"), ("chair", "resolve", "spoke to them"),
                     ("chair", "reopen", "new evidence"), ("chair", "dismiss", "it was a quote")]
    assert [c.id for c in detail.clauses] == ["5.5.1"] and detail.clauses[0].heading
    assert detail.actions == (ReviewAction.REOPEN,)
    assert detail.to_dict()["incident"]["status"] == "dismissed"


async def test_two_members_acting_at_once_cannot_both_win(store: Store, review: CommitteeReview) -> None:
    incident_id, _ = await store.record_incident(new("m1"))
    other = Principal(Platform.DISCORD, "g1", "treasurer", is_committee=True)
    stale_sources = frozenset({IncidentStatus.OPEN})
    await review.transition(other, incident_id, ReviewAction.DISMISS, "first")
    # The first member's write is conditional on the status they read: it must not overwrite the dismissal.
    assert await store.set_status(incident_id, IncidentStatus.CONFIRMED, "chair", "confirm",
                                  expected=stale_sources) is None
    incident = await store.get_incident(incident_id)
    assert incident is not None and incident.status is IncidentStatus.DISMISSED


async def test_filters_narrow_the_list(store: Store, review: CommitteeReview) -> None:
    for i in range(5):
        await store.record_incident(new(f"m{i}", author=f"u{i % 2}", at=T0 + timedelta(hours=i),
                                        clauses=("5.6.2",) if i == 4 else ("5.5.1",)))
    first = (await review.list(CHAIR, IncidentQuery(author_id="u0")))[0]
    await review.transition(CHAIR, first.id, ReviewAction.CONFIRM)
    assert [i.message_id for i in await review.list(CHAIR, IncidentQuery(author_id="u0"))] == ["m4", "m2", "m0"]
    assert [i.message_id for i in await review.list(CHAIR, IncidentQuery(clause="5.6.2"))] == ["m4"]
    assert [i.message_id for i in await review.list(CHAIR, IncidentQuery(status=IncidentStatus.CONFIRMED))] == ["m4"]
    window = IncidentQuery(since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert [i.message_id for i in await review.list(CHAIR, window)] == ["m2", "m1"]
    assert await review.count(CHAIR, IncidentQuery(author_id="u1")) == 2


async def test_csv_export_is_safe_to_open_in_a_spreadsheet(store: Store, review: CommitteeReview) -> None:
    await store.record_incident(new("m1", author="=HYPERLINK(\"http://evil\")", content="+SUM(A1:A9)"))
    await store.record_incident(new("m2", author="@cmd", content="-2+3"))
    await store.record_incident(new("m3", author="plain", content="a, \"quoted\"\nline"))
    await store.record_incident(new("m4", community="g2", author="someone-else"))
    rows = list(csv.DictReader(io.StringIO((await review.export(CHAIR, IncidentQuery(), "csv")).decode())))
    by_message = {r["message_id"]: r for r in rows}
    assert set(by_message) == {"m1", "m2", "m3"}
    assert by_message["m1"]["author_id"] == "'=HYPERLINK(\"http://evil\")"
    assert by_message["m1"]["content"] == "'+SUM(A1:A9)"
    assert by_message["m2"]["author_id"] == "'@cmd" and by_message["m2"]["content"] == "'-2+3"
    assert by_message["m3"]["content"] == "a, \"quoted\"\nline" and by_message["m3"]["clauses"] == "5.5.1"
    for row in rows:
        assert not any(value.startswith(("=", "+", "-", "@")) for value in row.values())


async def test_json_export_has_every_matching_incident_beyond_one_page(store: Store,
                                                                      review: CommitteeReview) -> None:
    # Recorded at once, as a busy bot's callers would be: the group commit writes them in batches.
    await asyncio.gather(*(store.record_incident(new(f"m{i}", author="u1" if i % 3 else "u2")) for i in range(1_203)))
    document = json.loads(await review.export(CHAIR, IncidentQuery(author_id="u1", limit=5), "json"))
    assert document["count"] == len(document["incidents"]) == 802
    assert len({i["id"] for i in document["incidents"]}) == 802
    assert {i["author_id"] for i in document["incidents"]} == {"u1"}
    with pytest.raises(InputError, match="not csv or json"):
        await review.export(CHAIR, IncidentQuery(), "xlsx")


async def test_stats_are_for_the_principals_community(store: Store, review: CommitteeReview) -> None:
    a, _ = await store.record_incident(new("m1"))
    await store.record_incident(new("m2", community="g2"))
    await review.transition(CHAIR, a, ReviewAction.DISMISS, "quote")
    await store.add_feedback(a, "u1", "mistake", "", T0)
    stats = await review.stats(CHAIR, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1),
                               community_id="g2")  # a non-operator cannot widen or move the scope
    assert stats.total == 1 and stats.mistakes_by_rule == {"hate.slur": 1} and stats.open_incidents == 0


async def test_setup_is_a_committee_action_on_the_principals_own_community(store: Store,
                                                                           review: CommitteeReview) -> None:
    with pytest.raises(NotCommittee):
        await review.save_settings(MEMBER, {"alert_channel": "c-mine"})
    assert (await review.community(Platform.DISCORD, "g1")).alert_channel == ""  # nothing saved
    saved = await review.save_settings(CHAIR, {"alert_channel": "c-alerts", "retention_days": 30},
                                       platform=Platform.DISCORD, community_id="g2")  # not the chair's to name
    assert (saved.community_id, saved.alert_channel, saved.retention_days) == ("g1", "c-alerts", 30)
    assert (await review.community(Platform.DISCORD, "g2")).alert_channel == ""
    assert (await review.community(Platform.DISCORD, "g1")).retention_days == 30


async def test_the_operator_sets_up_the_community_it_names_and_only_real_settings(review: CommitteeReview) -> None:
    with pytest.raises(InputError):
        await review.save_settings(operator_principal(), {"alert_channel": "C1"})  # which community?
    with pytest.raises(InputError, match="not a community setting"):
        await review.save_settings(operator_principal(), {"community_id": "T2"}, platform=Platform.SLACK,
                                   community_id="T1")
    saved = await review.save_settings(operator_principal(), {"alert_channel": "C1"}, platform=Platform.SLACK,
                                       community_id="T1")
    assert saved.platform is Platform.SLACK and saved.alert_channel == "C1"
