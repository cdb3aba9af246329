"""Every Store method the moderator and the committee review rely on, on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.errors import InputError, UnknownIncident
from bot.models import (
    Community,
    DeliveryStatus,
    IncidentQuery,
    IncidentStatus,
    NewIncident,
    NudgeMode,
    Platform,
    Severity,
)
from bot.store import Store

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # a Monday: ISO week 2026-W45


def new(message_id: str, *, author: str = "u1", at: datetime = T0, clauses: tuple[str, ...] = ("5.5.1",),
        rules: tuple[str, ...] = ("hate.slur",), targets: tuple[str, ...] = (), community: str = "g1",
        revision: int = 0, content: str | None = None,
        delivery: DeliveryStatus = DeliveryStatus.PENDING) -> NewIncident:
    return NewIncident(platform=Platform.DISCORD, community_id=community, channel_id="c1", message_id=message_id,
                       author_id=author, author_name=f"name-{author}", clauses=clauses, rules=rules,
                       severity=Severity.HIGH, excerpt="s***r", created_at=at, revision=revision, targets=targets,
                       content=content, delivery_status=delivery, permalink=f"https://x/{message_id}")



async def test_latest_incident_is_the_highest_revision(store: Store) -> None:
    await store.record_incident(new("m1"))
    edited, _ = await store.record_incident(new("m1", revision=2))
    await store.record_incident(new("m1", revision=1))
    latest = await store.latest_incident_for_message(Platform.DISCORD, "g1", "m1")
    assert latest is not None and latest.id == edited and latest.revision == 2
    assert await store.latest_incident_for_message(Platform.DISCORD, "g2", "m1") is None


async def test_an_incident_without_a_clause_is_refused(store: Store) -> None:
    with pytest.raises(InputError, match="clause"):
        await store.record_incident(new("m1", clauses=()))
    assert await store.count_incidents() == 0


async def test_times_in_other_zones_are_stored_as_utc(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    incident_id, _ = await store.record_incident(new("m1", at=T0.astimezone(plus_two)))
    got = await store.get_incident(incident_id)
    assert got is not None and got.created_at == T0 and got.created_at.utcoffset() == timedelta(0)
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.record_incident(new("m2", at=T0.replace(tzinfo=None)))


async def test_status_changes_leave_an_audit_trail(store: Store) -> None:
    incident_id, _ = await store.record_incident(new("m1"))
    changed = await store.set_status(incident_id, IncidentStatus.CONFIRMED, "mod7", "confirm", "clear breach")
    assert changed is not None and changed.status is IncidentStatus.CONFIRMED
    await store.add_event(incident_id, "mod8", "comment", "spoke to them")
    await store.set_delivery(incident_id, DeliveryStatus.REFUSED, "50007")
    trail = [(e.actor_id, e.action, e.note) for e in await store.events(incident_id)]
    assert trail == [("nudgebot", "recorded", "hate.slur"), ("mod7", "confirm", "clear breach"),
                     ("mod8", "comment", "spoke to them"), ("nudgebot", "nudge refused", "50007")]
    assert await store.set_status(9999, IncidentStatus.CONFIRMED, "mod7", "confirm") is None
    with pytest.raises(UnknownIncident):
        await store.add_event(9999, "mod7", "comment")


async def test_nudged_since_sees_pending_and_delivered_for_the_same_clause_only(store: Store) -> None:
    since = T0 - timedelta(hours=24)
    assert not await store.nudged_since(Platform.DISCORD, "g1", "u1", "5.5.1", since)
    await store.record_incident(new("m0", at=T0 - timedelta(days=3)))  # before the window
    assert not await store.nudged_since(Platform.DISCORD, "g1", "u1", "5.5.1", since)
    await store.record_incident(new("m1", delivery=DeliveryStatus.SUPPRESSED))
    assert not await store.nudged_since(Platform.DISCORD, "g1", "u1", "5.5.1", since)
    incident_id, _ = await store.record_incident(new("m2"))
    assert await store.nudged_since(Platform.DISCORD, "g1", "u1", "5.5.1", since)
    assert not await store.nudged_since(Platform.DISCORD, "g1", "u1", "5.6.2", since)
    assert not await store.nudged_since(Platform.DISCORD, "g1", "u2", "5.5.1", since)
    await store.set_delivery(incident_id, DeliveryStatus.DELIVERED)
    assert await store.nudged_since(Platform.DISCORD, "g1", "u1", "5.5.1", since)
    await store.set_delivery(incident_id, DeliveryStatus.REFUSED, "50007")
    assert not await store.nudged_since(Platform.DISCORD, "g1", "u1", "5.5.1", since)


async def test_hostile_incidents_need_the_target_and_skip_dismissed(store: Store) -> None:
    a, _ = await store.record_incident(new("m1", targets=("v1", "v2")))
    b, _ = await store.record_incident(new("m2", targets=("v1",), at=T0 + timedelta(hours=1)))
    await store.record_incident(new("m3", targets=("v10",)))  # "v1" must not match "v10"
    await store.record_incident(new("m4", targets=("v1",), author="u2"))
    c, _ = await store.record_incident(new("m5", targets=("v1",), at=T0 + timedelta(hours=2)))
    await store.set_status(c, IncidentStatus.DISMISSED, "mod", "dismiss")
    found = await store.hostile_incidents(Platform.DISCORD, "g1", "u1", "v1", T0 - timedelta(days=7))
    assert [i.id for i in found] == [a, b]
    assert await store.hostile_incidents(Platform.DISCORD, "g1", "u1", "v1", T0 + timedelta(minutes=30)) != []
    assert [i.id for i in await store.hostile_incidents(Platform.DISCORD, "g1", "u1", "v2", T0)] == [a]
    assert await store.author_incident_count(Platform.DISCORD, "g1", "u1") == 3  # dismissed one not counted


async def test_an_open_escalation_is_extended_not_duplicated(store: Store) -> None:
    ids = [(await store.record_incident(new(f"m{i}", targets=("v1",))))[0] for i in range(4)]
    first, created = await store.open_escalation(Platform.DISCORD, "g1", "u1", "v1", ids[:3], T0)
    again, created_again = await store.open_escalation(Platform.DISCORD, "g1", "u1", "v1", ids[1:], T0)
    other, created_other = await store.open_escalation(Platform.DISCORD, "g1", "u1", "v2", ids[:1], T0)
    assert (created, created_again, created_other) == (True, False, True)
    assert again.id == first.id and again.incident_ids == tuple(ids) and other.id != first.id
    fetched = await store.get_escalation(first.id)
    assert fetched == again
    assert {e.id for e in await store.list_escalations(Platform.DISCORD, "g1", status="open")} == {first.id, other.id}
    await store.set_escalation_status(first.id, "closed", T0)
    reopened, created_new = await store.open_escalation(Platform.DISCORD, "g1", "u1", "v1", ids[3:], T0)
    assert created_new and reopened.id != first.id
    assert await store.list_escalations(Platform.SLACK, "g1") == []


async def test_feedback_is_kept_with_an_event_and_checked(store: Store) -> None:
    incident_id, _ = await store.record_incident(new("m1"))
    await store.add_feedback(incident_id, "u1", "mistake", "it was a quote", T0)
    assert (await store.events(incident_id))[-1].action == "feedback mistake"
    with pytest.raises(InputError, match="not one of"):
        await store.add_feedback(incident_id, "u1", "angry", "", T0)
    with pytest.raises(UnknownIncident):
        await store.add_feedback(424242, "u1", "fixed", "", T0)


async def test_communities_default_until_saved(store: Store) -> None:
    default = await store.get_community(Platform.SLACK, "T1")
    assert default == Community(platform=Platform.SLACK, community_id="T1")
    chosen = Community(platform=Platform.SLACK, community_id="T1", name="Chess", committee_role="S123",
                       alert_channel="C9", under18_channels=("C1", "C2"), nudge_mode=NudgeMode.RECORD,
                       retention_days=30, keep_full_content=True, welfare_contact="U5", welfare_alerts=True)
    await store.save_community(chosen, T0)
    assert await store.get_community(Platform.SLACK, "T1") == chosen
    await store.save_community(Community(platform=Platform.SLACK, community_id="T1", retention_days=90), T0)
    assert (await store.get_community(Platform.SLACK, "T1")).retention_days == 90


async def test_list_and_count_filter_together(store: Store) -> None:
    for i in range(6):
        await store.record_incident(new(f"m{i}", author="u1" if i % 2 else "u2", at=T0 + timedelta(minutes=i),
                                        clauses=("5.5.1",) if i < 3 else ("5.6.2",)))
    await store.record_incident(new("other", community="g2"))
    query = IncidentQuery(platform=Platform.DISCORD, community_id="g1", author_id="u1")
    assert [i.message_id for i in await store.list_incidents(query)] == ["m5", "m3", "m1"]
    assert await store.count_incidents(query) == 3
    assert await store.count_incidents(IncidentQuery(community_id="g1", clause="5.6.2")) == 3
    window = IncidentQuery(community_id="g1", since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4))
    assert [i.message_id for i in await store.list_incidents(window)] == ["m3", "m2"]
    page = IncidentQuery(community_id="g1", limit=2, offset=2)
    assert [i.message_id for i in await store.list_incidents(page)] == ["m3", "m2"]
    assert await store.count_incidents() == 7
