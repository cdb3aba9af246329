"""End to end through the real discord.py and the fake Discord: messages, edits, nudges by DM, refusals, 429s."""

from __future__ import annotations

from tests.discord.support import RunningBot, World, custom_ids, embed_text, incident_rows
from tests.fakes.discord_server import DISCORD_LIKE_LIMITS

BREACH = "text Priya on 07700 900123, that's her number"  # personal data: clause 5.5.5
CLEAN = "Is anyone going to the social on Friday?"
HATE = "honestly women are vermin"  # clause 5.5.1, high severity: the committee is alerted


async def test_breaching_message_gives_an_incident_and_a_dm_naming_the_clause(running: RunningBot, world: World,
                                                                            settings) -> None:
    fake = world.fake
    posted = await fake.post_message(world.general, world.alice, BREACH)
    dms = await fake.wait_for(lambda: fake.dms_to(world.alice), what="a DM to alice")
    await running.idle(fake)

    rows = incident_rows(settings.db_path)
    assert len(rows) == 1
    row = rows[0]
    assert (row["message_id"], row["author_id"], row["channel_id"]) == (posted["id"], str(world.alice),
                                                                          str(world.general))
    assert "5.5.5" in row["clauses"]
    assert row["delivery_status"] == "delivered"
    assert len(dms) == 1
    text = embed_text(dms[0])
    assert "clause 5.5.5" in text
    assert "900123" not in text  # the excerpt is masked
    assert f"/channels/{world.guild.id}/{world.general}/{posted['id']}" in text  # jump link
    assert custom_ids(dms[0]) == [f"nudgebot:nudge:fixed:{row['id']}", f"nudgebot:nudge:mistake:{row['id']}"]
    labels = [c["label"] for r in dms[0]["components"] for c in r["components"]]
    assert labels == ["I've fixed it", "I think this is a mistake"]
    assert "I think this is a mistake" in text  # the footer names the button the member sees
    # Never in the open channel: the only message there is alice's own.
    assert fake.bot_messages(world.general) == []


async def test_clean_message_gives_neither_incident_nor_dm(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.alice, CLEAN)
    await fake.post_message(world.general, world.bob, BREACH)  # a later breach proves the first was processed
    await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge")
    await running.idle(fake)
    assert fake.dms_to(world.alice) == []
    assert [r["author_id"] for r in incident_rows(settings.db_path)] == [str(world.bob)]


async def test_bots_webhooks_system_messages_and_the_alert_channel_are_not_moderated(
        running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.helper_bot, BREACH)
    await fake.post_message(world.general, world.alice, BREACH, webhook=True)
    await fake.post_message(world.general, world.alice, BREACH, message_type=7)  # member-join system message
    await fake.post_message(world.alerts, world.chair, BREACH)  # the committee discussing a case
    case_thread = fake.add_thread(world.guild, world.alerts, "case-12")
    await fake.post_message(case_thread, world.chair, BREACH)  # ... in a thread of their channel
    await fake.post_message(world.thread, world.bob, BREACH)  # threads are moderated
    await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge from the thread")
    await running.idle(fake)
    rows = incident_rows(settings.db_path)
    assert [(r["author_id"], r["channel_id"]) for r in rows] == [(str(world.bob), str(world.thread))]


async def test_edit_removing_the_breach_marks_the_incident_corrected(running: RunningBot, world: World,
                                                                     settings) -> None:
    fake = world.fake
    posted = await fake.post_message(world.general, world.alice, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge")
    await fake.edit_message(posted, "text Priya, she said it's fine to ask her about the trip")
    await fake.wait_for(lambda: incident_rows(settings.db_path)[0]["status"] == "corrected",
                        what="the incident to be marked corrected")
    await running.idle(fake)
    assert len(incident_rows(settings.db_path)) == 1
    assert len(fake.dms_to(world.alice)) == 1


async def test_breaching_edit_is_caught_and_a_replayed_edit_counts_once(running: RunningBot, world: World,
                                                                        settings) -> None:
    fake = world.fake
    posted = await fake.post_message(world.general, world.alice, CLEAN)
    edited = await fake.edit_message(posted, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge for the edit")
    await fake.dispatch("MESSAGE_UPDATE", edited, world.guild.id)  # Discord may deliver an event twice
    await fake.post_message(world.general, world.bob, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge")
    await running.idle(fake)
    rows = [r for r in incident_rows(settings.db_path) if r["author_id"] == str(world.alice)]
    assert len(rows) == 1
    assert rows[0]["message_id"] == posted["id"] and rows[0]["revision"] > 0
    assert len(fake.dms_to(world.alice)) == 1


async def test_closed_dms_are_recorded_and_the_committee_is_alerted(running: RunningBot, world: World,
                                                                    settings) -> None:
    fake = world.fake
    fake.refuse_dms(world.alice)
    await fake.post_message(world.general, world.alice, BREACH)
    alerts = await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="an alert")
    await running.idle(fake)
    refused = fake.calls("POST /channels/{channel_id}/messages", status=403)
    assert refused and refused[0].response["code"] == 50007
    row = incident_rows(settings.db_path)[0]
    assert (row["delivery_status"], row["delivery_reason"]) == ("refused", "50007")
    assert f"#{row['id']}" in embed_text(alerts[0])
    assert f"nudgebot:alert:confirm:{row['id']}" in custom_ids(alerts[0])
    assert fake.bot_messages(world.general) == []  # never nudged in the open instead


async def test_high_severity_breach_alerts_the_committee_with_buttons(running: RunningBot, world: World,
                                                                      settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.bob, HATE)
    alerts = await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="a high-severity alert")
    await running.idle(fake)
    row = incident_rows(settings.db_path)[0]
    assert "5.5.1" in row["clauses"]
    assert custom_ids(alerts[0]) == [f"nudgebot:alert:{a}:{row['id']}"
                                      for a in ("confirm", "dismiss", "delete", "escalate")]
    assert "vermin" not in embed_text(alerts[0])  # masked


async def test_rate_limit_is_honoured_and_nothing_is_lost(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    fake.rate_limit("POST /channels/{channel_id}/messages", times=2, retry_after=0.3)
    await fake.post_message(world.general, world.alice, BREACH)
    await fake.post_message(world.general, world.bob, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice) and fake.dms_to(world.bob), what="both nudges")
    await running.idle(fake)
    limited = fake.calls("POST /channels/{channel_id}/messages", status=429)
    assert len(limited) == 2
    delivered = fake.calls("POST /channels/{channel_id}/messages", status=200)
    # discord.py waited for retry_after before trying again.
    assert min(d.at for d in delivered) - limited[0].at >= 0.3 * 0.9
    rows = incident_rows(settings.db_path)
    assert [r["delivery_status"] for r in rows] == ["delivered", "delivered"]
    assert len(fake.dms_to(world.alice)) == len(fake.dms_to(world.bob)) == 1


async def test_a_member_who_may_be_struggling_gets_support_privately_and_no_incident(running: RunningBot,
                                                                                     world: World, settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.alice, "honestly I can't go on anymore, I want to end it all")
    dms = await fake.wait_for(lambda: fake.dms_to(world.alice), what="the welfare note")
    await running.idle(fake, received=1)
    assert "Samaritans" in dms[0]["content"] and not dms[0]["components"]
    assert incident_rows(settings.db_path) == []
    assert fake.bot_messages(world.general) == []


async def test_a_burst_of_alerts_is_batched_under_the_channel_rate_limit(running: RunningBot, world: World,
                                                                         settings) -> None:
    fake = world.fake
    fake.route_limits = dict(DISCORD_LIKE_LIMITS)  # 5 messages per 5 s per channel, as Discord
    posters = [fake.add_member(world.guild, f"raider{i}") for i in range(12)]
    for poster in posters:
        await fake.post_message(world.general, poster, HATE)
    await running.idle(fake, timeout=60, received=12)
    messages = fake.bot_messages(world.alerts)
    rows = incident_rows(settings.db_path)
    assert len(rows) == 12
    embeds = [embed for m in messages for embed in m["embeds"]]
    assert sorted(e["footer"]["text"] for e in embeds) == sorted(f"/incidents show {r['id']} for the full record"
                                                                 for r in rows)
    assert len(messages) < 12 and all(len(m["embeds"]) <= 5 for m in messages)
    assert fake.calls(status=429) == []  # discord.py waited for the bucket instead of hitting it

    batched = next(m for m in messages if len(m["embeds"]) > 1)
    last = batched["embeds"][-1]["footer"]["text"].split()[2]
    assert len(batched["components"]) == len(batched["embeds"])  # one row of buttons per alert
    pressed = await fake.press_button(batched, f"nudgebot:alert:confirm:{last}", world.chair)
    answer = (await fake.wait_answer(pressed))["data"]
    confirmed = [e for e in answer["embeds"] if any(f["name"] == "Confirmed" for f in e.get("fields", []))]
    assert [e["footer"]["text"] for e in confirmed] == [f"/incidents show {last} for the full record"]
