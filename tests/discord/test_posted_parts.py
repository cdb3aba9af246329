"""End to end through discord.py and the fake Discord: every part of what a member posts is read, not only the
text they typed: forwarded messages, polls, attachment names and alt text, thread and forum-post titles."""

from __future__ import annotations

import json

from tests.discord.support import RunningBot, World, embed_text, incident_rows
from tests.fakes import discord_payloads as P
from tests.fakes.discord_server import GUILD_MESSAGES_INTENT

INSULT = "you worthless idiot"  # clause 5.5.3
HATE = "honestly women are vermin"  # clause 5.5.1
CLEAN = "Which route should we take on Saturday?"


def _clauses(row: dict) -> list[str]:
    return json.loads(row["clauses"])


async def test_a_forwarded_message_is_read_and_a_replay_counts_once(running: RunningBot, world: World,
                                                                    settings) -> None:
    fake = world.fake
    elsewhere = fake.add_guild("Some Other Server")
    original = P.message(fake.ids.next(), fake.channel(elsewhere, "general"), P.user(fake.ids.next(), "stranger"),
                         HATE, guild_id=elsewhere.id)
    forward = await fake.post_message(world.general, world.alice, "", forward=original)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge about the forward")
    await fake.dispatch("MESSAGE_CREATE", forward, world.guild.id, GUILD_MESSAGES_INTENT)  # the gateway replays it
    await running.idle(fake, received=2)
    rows = incident_rows(settings.db_path)
    assert [(r["message_id"], r["author_id"]) for r in rows] == [(forward["id"], str(world.alice))]
    assert "5.5.1" in _clauses(rows[0])
    assert len(fake.dms_to(world.alice)) == 1


async def test_a_poll_question_and_its_answers_are_read(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    clean = await fake.post_message(world.general, world.bob, "", poll=P.poll(CLEAN, ["The ridge", "The valley"]))
    asked = await fake.post_message(world.general, world.alice, "",
                                    poll=P.poll("Who is the worst in the society?", ["Priya", INSULT]))
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge about the poll")
    await running.idle(fake, received=2)
    rows = incident_rows(settings.db_path)
    assert [r["message_id"] for r in rows] == [asked["id"]] and clean["id"] != asked["id"]
    assert "5.5.3" in _clauses(rows[0])


async def test_attachment_names_and_alt_text_are_read(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    named = await fake.post_message(world.general, world.alice, "look at this",
                                    attachments=[P.attachment(fake.ids.next(), "SPOILER_you-worthless_idiot.png")])
    described = await fake.post_message(world.general, world.bob, "", attachments=[
        P.attachment(fake.ids.next(), "IMG_2041.jpg", description=f"{HATE}, obviously")])
    plain = await fake.post_message(world.general, world.bob, "the view from the top",
                                    attachments=[P.attachment(fake.ids.next(), "summit_panorama.jpg",
                                                              description="Mist over the ridge at dawn")])
    await fake.wait_for(lambda: fake.dms_to(world.alice) and fake.dms_to(world.bob), what="both nudges")
    await running.idle(fake, received=3)
    rows = {r["message_id"]: r for r in incident_rows(settings.db_path)}
    assert set(rows) == {named["id"], described["id"]} and plain["id"] not in rows
    assert "5.5.3" in _clauses(rows[named["id"]]) and "5.5.1" in _clauses(rows[described["id"]])


async def test_a_thread_title_is_read_and_a_clean_rename_corrects_it(running: RunningBot, world: World,
                                                                    settings) -> None:
    fake = world.fake
    thread = await fake.start_thread(world.general, world.alice, f"{INSULT} planning the trip")
    dms = await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge about the title")
    await running.idle(fake)
    [row] = incident_rows(settings.db_path)
    assert (row["message_id"], row["channel_id"], row["author_id"]) == (f"{thread}:title", str(thread),
                                                                        str(world.alice))
    assert "5.5.3" in _clauses(row)
    assert f"/channels/{world.guild.id}/{thread}" in embed_text(dms[0])  # the link leads to the thread

    await fake.rename_thread(thread, "Planning the trip")
    await fake.wait_for(lambda: incident_rows(settings.db_path)[0]["status"] == "corrected",
                        what="the title's incident to be corrected")
    await fake.dispatch("THREAD_UPDATE", {**world.guild.threads[thread]}, world.guild.id)  # a replay: same name
    await fake.post_message(world.general, world.bob, CLEAN)
    await running.idle(fake, received=3)
    assert len(incident_rows(settings.db_path)) == 1 and len(fake.dms_to(world.alice)) == 1


async def test_a_forum_post_title_and_first_message_are_each_read(running: RunningBot, world: World,
                                                                 settings) -> None:
    fake = world.fake
    forum = fake.add_forum_channel(world.guild, "kit-swap")
    both = await fake.post_in_forum(forum, world.alice, f"selling boots, {INSULT}", f"{HATE}, anyway size 6")
    clean = await fake.post_in_forum(forum, world.bob, "Selling a 40 litre rucksack", CLEAN)
    await fake.wait_for(lambda: len(incident_rows(settings.db_path)) == 2, what="two incidents for alice's post")
    await running.idle(fake, received=4)
    rows = incident_rows(settings.db_path)
    # The title and the first message share the thread's id; each has its own incident.
    assert sorted((r["message_id"], r["channel_id"]) for r in rows) == sorted(
        [(both["id"], both["channel_id"]), (f"{both['channel_id']}:title", both["channel_id"])])
    assert all(r["author_id"] == str(world.alice) for r in rows) and clean["id"] not in {r["message_id"] for r in rows}


async def test_a_thread_in_the_alert_channel_keeps_its_title_unmoderated(running: RunningBot, world: World,
                                                                        settings) -> None:
    fake = world.fake
    await fake.start_thread(world.alerts, world.chair, f"case 12: '{INSULT}'")
    await fake.post_message(world.general, world.bob, INSULT)  # moderated, and proves the title went first
    await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge")
    await running.idle(fake, received=2)
    assert [r["author_id"] for r in incident_rows(settings.db_path)] == [str(world.bob)]


async def test_the_alert_about_a_title_says_to_rename_the_thread_instead_of_deleting(running: RunningBot,
                                                                                     world: World, settings) -> None:
    fake = world.fake
    await fake.start_thread(world.general, world.alice, HATE)  # high severity: the committee is alerted
    [alert] = await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="the committee's alert")
    await running.idle(fake)
    [row] = incident_rows(settings.db_path)
    pressed = await fake.press_button(alert, f"nudgebot:alert:delete:{row['id']}", world.chair)
    answer = await fake.wait_answer(pressed)
    assert "rename or delete the thread" in answer["data"]["content"]
    assert fake.deleted == [] and incident_rows(settings.db_path)[0]["status"] == "open"
