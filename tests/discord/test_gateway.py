"""Gateway behaviour the bot must survive: a dropped connection is resumed and the missed events still count;
repeated hostility toward one member (mentions and replies) escalates to the committee."""

from __future__ import annotations

from tests.discord.support import RunningBot, World, custom_ids, embed_text, incident_rows

BREACH = "text Priya on 07700 900123, that's her number"
INSULT = "you are a complete idiot"  # clause 5.5.3, hostile toward the member it is aimed at


async def test_dropped_connection_is_resumed_and_missed_messages_are_moderated(running: RunningBot, world: World,
                                                                               settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.alice, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the first nudge")
    await fake.drop_connections(4000)  # "Unknown error": Discord's resumable close
    await fake.wait_for(lambda: not fake.sessions(), what="the connection to drop")
    await fake.post_message(world.general, world.bob, BREACH)  # sent while the bot is away: buffered
    await fake.wait_for(lambda: fake.dms_to(world.bob), 30, "the nudge for the missed message")
    await running.idle(fake, received=2)
    assert len(fake.resumes) == 1 and len(fake.identifies) == 1  # resumed, not a new session
    assert sorted(r["author_id"] for r in incident_rows(settings.db_path)) == sorted([str(world.alice),
                                                                                      str(world.bob)])


async def test_repeated_hostility_toward_one_member_escalates(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    target = await fake.post_message(world.general, world.alice, "who's coming to the hike on Sunday?")
    await fake.post_message(world.general, world.bob, f"<@{world.alice}> {INSULT}", mentions=[world.alice])
    await fake.post_message(world.general, world.bob, INSULT, reply_to=target)  # aimed by replying
    await fake.post_message(world.thread, world.bob, f"<@{world.alice}> honestly {INSULT}", mentions=[world.alice])
    alert = await fake.wait_for(
        lambda: next((m for m in fake.bot_messages(world.alerts) if "4.3" in embed_text(m)), None),
        what="an escalation alert")
    await running.idle(fake, received=4)
    rows = incident_rows(settings.db_path)
    assert len(rows) == 3 and all(str(world.alice) in r["targets"] for r in rows)
    text = embed_text(alert)
    assert f"<@{world.alice}>" in text and f"<@{world.bob}>" in text
    assert custom_ids(alert)[0] == f"nudgebot:alert:confirm:{rows[-1]['id']}"
