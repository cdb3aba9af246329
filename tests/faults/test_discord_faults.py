"""Faults through the real Discord adapter and the fake Discord: the database failing under a running bot, and the
gateway dropped in the middle of a burst of messages (resumed, or forced to identify afresh)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from bot.core import Core
from bot.settings import Settings
from tests.discord.support import RunningBot, World, embed_text, incident_rows
from tests.faults.support import delivery_counts, incident_counts, make_read_only, make_writable

INSULT = "honestly you're a complete idiot"  # 5.5.3, medium: an incident and a nudge, no other alert
CLEAN = "is anyone walking up to the lake on Saturday?"
HATE = "honestly women are vermin"  # 5.5.1, high severity: an alert to the committee as well as a nudge
DEGRADED = "could not write to its database"


def members(world: World, how_many: int) -> list[int]:
    """Members who will post (alice, bob and more), each with their own DM channel for counting nudges."""
    extra = [world.fake.add_member(world.guild, f"walker{i}") for i in range(how_many - 2)]
    return [world.alice, world.bob, *extra]


async def burst(world: World, people: list[int], count: int, *, start: int = 0) -> list[tuple[dict[str, Any], int]]:
    """`count` messages, every third one breaching, round the members; returns (message, author) pairs."""
    sent = []
    for i in range(start, start + count):
        author = people[i % len(people)]
        text = INSULT if i % 3 == 0 else f"{CLEAN} ({i})"
        sent.append((await world.fake.post_message(world.general, author, text), author))
    return sent


def breaching(sent: list[tuple[dict[str, Any], int]]) -> list[tuple[dict[str, Any], int]]:
    return [(m, a) for m, a in sent if m["content"] == INSULT]


def nudges_by_member(world: World, people: list[int]) -> Counter[int]:
    return Counter({p: len(world.fake.dms_to(p)) for p in people if world.fake.dms_to(p)})


async def test_a_read_only_database_under_a_running_bot(retrying: RunningBot, world: World, core: Core,
                                                        settings: Settings) -> None:
    fake = world.fake
    people = members(world, 8)
    before = await burst(world, people, 9)
    await retrying.idle(fake, received=9)
    assert sum(nudges_by_member(world, people).values()) == 3

    await make_read_only(core.store)
    during = await burst(world, people, 150, start=9)
    await retrying.idle(fake, received=159)
    # Still serving, nothing sent before it is recorded, and the committee told once.
    assert core.moderator.pending_count == len(breaching(during)) == 50
    assert sum(nudges_by_member(world, people).values()) == 3
    alerts = [m for m in fake.bot_messages(world.alerts) if DEGRADED in embed_text(m)]
    assert len(alerts) == 1 and len(alerts[0]["embeds"]) == 1

    await make_writable(core.store)  # no new message needed: the outbox retry records and delivers
    expected = breaching(before + during)
    await fake.wait_for(lambda: sum(nudges_by_member(world, people).values()) >= len(expected), 20,
                        "the held nudges to be delivered")
    await fake.wait_for(lambda: delivery_counts(settings.db_path) == {"delivered": len(expected)}, 20,
                        "every delivery to be recorded")
    assert core.moderator.pending_count == 0
    assert incident_counts(settings.db_path) == {(world.guild_id, m["id"], 0): 1 for m, _ in expected}
    assert nudges_by_member(world, people) == Counter(a for _, a in expected)  # once each, to the poster
    assert len([m for m in fake.bot_messages(world.alerts) if DEGRADED in embed_text(m)]) == 1


@pytest.mark.parametrize("abrupt", [False, True], ids=["close-4000", "tcp-cut"])
async def test_gateway_dropped_mid_burst_is_resumed_without_loss_or_doubles(retrying: RunningBot, world: World,
                                                                            settings: Settings,
                                                                            abrupt: bool) -> None:
    fake = world.fake
    people = members(world, 10)
    first = await burst(world, people, 150)
    await fake.drop_connections(4000, abrupt=abrupt)  # mid-burst: the bot has not read all of `first` yet
    rest = await burst(world, people, 150, start=150)  # sent while away: buffered, replayed on RESUME
    await fake.wait_for(lambda: fake.resumes and fake.sessions(), 20, "the bot to resume")
    expected = breaching(first + rest)
    await fake.wait_for(lambda: len(incident_rows(settings.db_path)) >= len(expected), 30,
                        "every breaching message to be recorded")
    await retrying.idle(fake, received=300)
    assert len(fake.identifies) == 1 and len(fake.resumes) >= 1  # resumed: the same session, not a new one
    assert sum(fake.replayed) > 0  # some of the burst really came by replay
    print(f"{'TCP cut' if abrupt else 'close 4000'}: {sum(fake.replayed)} events replayed on RESUME")
    assert incident_counts(settings.db_path) == {(world.guild_id, m["id"], 0): 1 for m, _ in expected}
    await fake.wait_for(lambda: sum(nudges_by_member(world, people).values()) >= len(expected), 20, "the nudges")
    assert nudges_by_member(world, people) == Counter(a for _, a in expected)


async def test_gateway_dropped_without_resume_misses_only_what_discord_never_replays(retrying: RunningBot,
                                                                                     world: World,
                                                                                     settings: Settings) -> None:
    fake = world.fake
    people = members(world, 10)
    first = await burst(world, people, 150)
    await retrying.idle(fake, received=150)  # unread events would be lost too: keep this part certain
    await fake.drop_connections(4000, resumable=False)  # the RESUME will be answered "invalid session"
    gap = await burst(world, people, 60, start=150)  # Discord does not replay these to a new session
    await fake.wait_for(lambda: len(fake.identifies) == 2 and fake.sessions(), 20, "a fresh IDENTIFY")
    after = await burst(world, people, 90, start=210)
    wanted = {m["id"] for m, _ in breaching(after)}
    await fake.wait_for(lambda: wanted <= {r["message_id"] for r in incident_rows(settings.db_path)}, 30,
                        "the messages sent to the new session to be recorded")
    await retrying.idle(fake)
    counts = incident_counts(settings.db_path)
    assert set(counts.values()) == {1}, "no message recorded twice"
    recorded = {m for _, m, _ in counts}
    for part in (first, after):  # read before the drop, or sent to the new session: all there
        assert {m["id"] for m, _ in breaching(part)} <= recorded
    missed = [m for m, _ in breaching(gap) if m["id"] not in recorded]
    # Sent while no session existed: lost unless the new session was already identified when they went out.
    assert recorded <= {m["id"] for m, _ in breaching(first + gap + after)}
    expected = [(m, a) for m, a in breaching(first + gap + after) if m["id"] in recorded]
    await fake.wait_for(lambda: sum(nudges_by_member(world, people).values()) >= len(expected), 20, "the nudges")
    assert nudges_by_member(world, people) == Counter(a for _, a in expected)
    print(f"invalid session: {len(missed)} of {len(breaching(gap))} breaching messages sent in the gap missed")


async def test_nudges_held_back_by_a_discord_outage_arrive_once_afterwards(retrying: RunningBot, world: World,
                                                                          settings: Settings) -> None:
    fake = world.fake
    people = members(world, 6)
    fake.outage(["POST /users/@me/channels", "POST /channels/{channel_id}/messages"])
    sent = await burst(world, people, 60)
    hate = await fake.post_message(world.general, world.bob, HATE)  # high severity: the committee is alerted
    await retrying.idle(fake, received=61)
    expected = [*breaching(sent), (hate, world.bob)]
    assert delivery_counts(settings.db_path) == {"pending": len(expected)}  # recorded, not marked failed
    failures = fake.outage_failures
    await fake.wait_for(lambda: fake.outage_failures > failures, 10, "the outbox retry to try again")
    assert nudges_by_member(world, people) == Counter()

    fake.end_outage()
    await fake.wait_for(lambda: delivery_counts(settings.db_path) == {"delivered": len(expected)}, 20,
                        "the held nudges to be delivered")
    assert nudges_by_member(world, people) == Counter(a for _, a in expected)  # once each
    await fake.wait_for(lambda: fake.bot_messages(world.alerts), 10, "the held alert")
    await retrying.idle(fake)
    alerts = fake.bot_messages(world.alerts)
    assert len(alerts) == 1 and "5.5.1" in embed_text(alerts[0])  # posted once, after the outage


async def test_a_rate_limit_that_outlasts_discord_py_retries_leaves_the_nudge_for_the_retry(
        retrying: RunningBot, world: World, settings: Settings) -> None:
    fake = world.fake
    # discord.py tries a request five times; answer all five (and one more) with 429.
    fake.rate_limit("POST /channels/{channel_id}/messages", times=6, retry_after=0.05)
    await fake.post_message(world.general, world.alice, INSULT)
    await fake.wait_for(lambda: len(fake.calls("POST /channels/{channel_id}/messages", status=429)) >= 5, 20,
                        "discord.py to give up on the rate-limited DM")
    await fake.wait_for(lambda: delivery_counts(settings.db_path) == {"delivered": 1}, 20,
                        "the outbox retry to deliver the nudge")
    assert len(fake.dms_to(world.alice)) == 1  # not marked failed, and sent once
