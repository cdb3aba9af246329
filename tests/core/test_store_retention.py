"""Statistics, the retention purge and UK GDPR subject access and erasure, on both backends (`store`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Community, DeliveryStatus, IncidentStatus, Platform
from bot.store import Store
from tests.core.test_store_methods import new

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)  # Monday of ISO week 2026-W45



async def test_stats_count_per_clause_per_iso_week_rules_delivery_and_mistakes(store: Store) -> None:
    a, _ = await store.record_incident(new("a", at=T0, clauses=("5.5.1", "5.6.2"), rules=("hate.slur", "pii.phone")))
    b, _ = await store.record_incident(new("b", at=T0 + timedelta(days=6), rules=("hate.slur",)))
    c, _ = await store.record_incident(new("c", at=T0 + timedelta(days=7), rules=("hate.slur",)))  # W46
    d, _ = await store.record_incident(new("d", at=T0 + timedelta(days=8), clauses=("5.6.2",), rules=("pii.phone",)))
    await store.record_incident(new("x", at=T0, community="g2"))  # another community: never counted
    await store.record_incident(new("old", at=T0 - timedelta(days=30)))  # outside the period
    await store.set_delivery(a, DeliveryStatus.DELIVERED)
    await store.set_delivery(b, DeliveryStatus.REFUSED, "50007")
    await store.set_status(c, IncidentStatus.DISMISSED, "mod", "dismiss")
    await store.set_status(d, IncidentStatus.DISMISSED, "mod", "dismiss")
    await store.add_feedback(c, "u1", "mistake", "", T0)
    await store.add_feedback(a, "u1", "mistake", "", T0)  # a mistake report the committee did not accept
    await store.open_escalation(Platform.DISCORD, "g1", "u1", "v1", [a, b], T0)

    stats = await store.stats(Platform.DISCORD, "g1", T0 - timedelta(days=1), T0 + timedelta(days=14))
    assert stats.total == 4
    assert stats.by_clause_week == {"5.5.1": {"2026-W45": 2, "2026-W46": 1}, "5.6.2": {"2026-W45": 1, "2026-W46": 1}}
    assert stats.weeks == ("2026-W45", "2026-W46")
    assert stats.top_rules == (("hate.slur", 3), ("pii.phone", 2))
    assert stats.delivery == {"delivered": 1, "refused": 1, "pending": 2}
    assert stats.delivery_rate == 0.5
    assert stats.dismissed_by_rule == {"hate.slur": 1, "pii.phone": 1}
    assert stats.mistakes_by_rule == {"hate.slur": 1}
    assert stats.escalations == {"open": 1}
    assert stats.open_incidents == 3  # the queue now, including the old one outside the period
    assert stats.by_status == {"open": 2, "dismissed": 2}
    everyone = await store.stats(None, None)
    assert everyone.total == 6 and everyone.to_dict()["total"] == 6


async def test_purge_clears_content_past_each_communitys_retention_and_keeps_metadata(store: Store) -> None:
    now = T0
    await store.save_community(Community(platform=Platform.DISCORD, community_id="short", retention_days=7), now)
    old_short, _ = await store.record_incident(new("s-old", community="short", at=now - timedelta(days=8),
                                                   content="full text"))
    new_short, _ = await store.record_incident(new("s-new", community="short", at=now - timedelta(days=6),
                                                   content="full text"))
    old_default, _ = await store.record_incident(new("d-old", at=now - timedelta(days=181), content="full text"))
    kept_default, _ = await store.record_incident(new("d-new", at=now - timedelta(days=30), content="full text"))
    assert await store.purge_content(now) == 2
    assert await store.purge_content(now) == 0  # nothing left to purge
    for incident_id in (old_short, old_default):
        purged = await store.get_incident(incident_id)
        assert purged is not None and purged.content is None and purged.excerpt == ""
        assert purged.clauses == ("5.5.1",) and purged.author_id == "u1" and purged.rules == ("hate.slur",)
    for incident_id in (new_short, kept_default):
        kept = await store.get_incident(incident_id)
        assert kept is not None and kept.content == "full text" and kept.excerpt == "s***r"


async def test_subject_access_and_erasure(store: Store) -> None:
    mine, _ = await store.record_incident(new("m1", author="u1", content="text", targets=("v1",)))
    mine_too, _ = await store.record_incident(new("m2", author="u1"))
    about_me, _ = await store.record_incident(new("m3", author="u2", targets=("u1", "v2")))
    elsewhere, _ = await store.record_incident(new("m4", author="u1", community="g2"))
    await store.add_feedback(mine, "u1", "mistake", "my note naming myself", T0)
    await store.open_escalation(Platform.DISCORD, "g1", "u2", "u1", [about_me], T0)

    access = await store.author_incidents(Platform.DISCORD, "g1", "u1")
    assert [i.id for i in access] == [mine, mine_too]

    assert await store.erase_author(Platform.DISCORD, "g1", "u1", T0, actor_id="operator") == 2
    assert await store.author_incidents(Platform.DISCORD, "g1", "u1") == []
    erased = await store.get_incident(mine)
    assert erased is not None and erased.author_id.startswith("erased-") and erased.author_name == ""
    assert erased.content is None and erased.excerpt == "" and erased.permalink == ""
    assert erased.delivery_status is DeliveryStatus.NOT_NEEDED and await store.pending_deliveries() != []
    assert mine not in [i.id for i in await store.pending_deliveries()]
    assert erased.clauses == ("5.5.1",)
    other = await store.get_incident(mine_too)
    assert other is not None and other.author_id == erased.author_id
    target_side = await store.get_incident(about_me)
    assert target_side is not None and target_side.targets == (erased.author_id, "v2")
    [escalation] = await store.list_escalations(Platform.DISCORD, "g1")
    assert escalation.target_id == erased.author_id
    trail = await store.events(mine)
    assert ("operator", "author erased") in [(e.actor_id, e.action) for e in trail]
    assert all(e.actor_id != "u1" and "naming myself" not in e.note for e in trail)
    untouched = await store.get_incident(elsewhere)
    assert untouched is not None and untouched.author_id == "u1"  # erasure is per community


async def test_erasure_forgets_the_members_saved_name(store: Store) -> None:
    now = datetime.now(UTC)
    await store.save_names(Platform.SLACK, "T1", "member", {"U1": "Sam", "U2": "Jo"}, now)
    await store.erase_author(Platform.SLACK, "T1", "U1", now)
    assert await store.names(Platform.SLACK, "T1", "member") == {"U2": "Jo"}
