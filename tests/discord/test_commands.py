"""Slash commands, buttons and the report menu, answered through the fake's interaction callback."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from bot.models import MessageEvent, Platform
from bot.texts import FEEDBACK_THANKS
from tests.discord.support import RunningBot, World, close_core, custom_ids, embed_text, incident_rows, start_bot
from tests.fakes.discord_server import Ref

BREACH = "text Priya on 07700 900123, that's her number"
HATE = "honestly women are vermin"
EPHEMERAL = 64


async def test_commands_are_published_at_start(running: RunningBot, world: World) -> None:
    published = {c["name"]: c for c in world.fake.commands["global"]}
    assert {"policy", "incidents", "nudgebot", "Report to committee"} <= set(published)
    assert {o["name"] for o in published["incidents"]["options"]} == {"list", "show", "review", "export", "stats"}
    assert published["Report to committee"]["type"] == 3


async def test_policy_clause_answers_privately_through_the_callback(running: RunningBot, world: World) -> None:
    fake = world.fake
    interaction = await fake.slash(world.guild, world.general, world.alice, "policy", "clause", {"clause": "5.5.1"})
    answer = await fake.wait_answer(interaction)
    assert answer["type"] == 4
    assert answer["data"]["flags"] & EPHEMERAL
    assert "Clause 5.5.1" in answer["data"]["embeds"][0]["title"]
    assert "discriminatory" in embed_text(answer["data"])


async def test_policy_search_and_autocomplete(running: RunningBot, world: World) -> None:
    fake = world.fake
    search = await fake.slash(world.guild, world.general, world.bob, "policy", "search", {"query": "phone numbers"})
    found = await fake.wait_answer(search)
    assert found["data"]["flags"] & EPHEMERAL
    assert "5.5.5" in embed_text(found["data"])

    typed = await fake.autocomplete(world.guild, world.general, world.bob, "policy", "clause", "clause", "5.5")
    choices = (await fake.wait_answer(typed))["data"]["choices"]
    assert choices and all(c["value"].startswith("5.5") for c in choices)
    by_heading = await fake.autocomplete(world.guild, world.general, world.bob, "policy", "clause", "clause",
                                         "discrim")
    assert [c["value"] for c in (await fake.wait_answer(by_heading))["data"]["choices"]][:1] == ["5.5.1"]


async def test_incidents_list_for_the_committee_and_refused_to_a_member(running: RunningBot, world: World) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.alice, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge")
    await running.idle(fake)

    listed = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "list")
    answer = await fake.wait_answer(listed)
    assert answer["data"]["flags"] & EPHEMERAL
    text = embed_text(answer["data"])
    assert "#1" in text and "5.5.5" in text and f"<@{world.alice}>" in text

    refused = await fake.slash(world.guild, world.general, world.bob, "incidents", "list")
    no = await fake.wait_answer(refused)
    assert no["data"]["flags"] & EPHEMERAL
    assert "only for the committee" in no["data"]["content"]
    assert "embeds" not in no["data"] or not no["data"]["embeds"]
    assert "5.5.5" not in no["data"]["content"] and str(world.alice) not in no["data"]["content"]


async def test_manage_server_counts_as_committee_without_the_role(running: RunningBot, world: World) -> None:
    fake = world.fake
    managers = fake.add_role(world.guild, "Admins", 1 << 5)  # Manage Server
    world.guild.members[world.bob]["roles"].append(str(managers))
    asked = await fake.slash(world.guild, world.general, world.bob, "incidents", "stats")
    answer = await fake.wait_answer(asked)
    assert "Incidents in the last 30 days" in embed_text(answer["data"])


async def test_review_show_and_export(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.alice, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge")
    await running.idle(fake)
    incident_id = incident_rows(settings.db_path)[0]["id"]

    reviewed = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "review",
                                {"incident": incident_id, "action": "confirm", "note": "spoke to her"})
    assert "confirmed" in (await fake.wait_answer(reviewed))["data"]["content"]
    assert incident_rows(settings.db_path)[0]["status"] == "confirmed"

    shown = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "show", {"incident": incident_id})
    detail = embed_text((await fake.wait_answer(shown))["data"])
    assert "confirm" in detail and "spoke to her" in detail

    exported = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "export")
    await fake.wait_for(lambda: exported.followups, what="the export follow-up")
    assert exported.callbacks[0]["type"] == 5 and exported.callbacks[0]["data"]["flags"] & EPHEMERAL
    assert exported.followups[0]["flags"] & EPHEMERAL
    (name, data), = exported.files
    assert name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [r["id"] for r in rows] == [str(incident_id)]


async def test_setup_saves_the_community_settings(running: RunningBot, world: World, core) -> None:
    fake = world.fake
    role = fake.add_role(world.guild, "Exec")
    exec_alerts = fake.add_text_channel(world.guild, "exec-alerts")
    refused = await fake.slash(world.guild, world.general, world.alice, "nudgebot", "setup", {"nudge_mode": "off"})
    assert "only for the committee" in (await fake.wait_answer(refused))["data"]["content"]

    asked = await fake.slash(world.guild, world.alerts, world.chair, "nudgebot", "setup",
                             {"committee_role": Ref("role", role), "under18_channels": f"<#{world.freshers}>",
                              "alert_channel": Ref("channel", exec_alerts), "retention_days": 90})
    answer = await fake.wait_answer(asked)
    assert answer["data"]["content"] == "Saved."
    saved = await core.store.get_community(Platform.DISCORD, world.guild_id)
    assert saved.committee_role == str(role)
    assert saved.under18_channels == (str(world.freshers),)
    assert saved.retention_days == 90 and saved.alert_channel == str(exec_alerts)
    assert saved.nudge_mode.value == "nudge"  # not given: unchanged

    # The committee is now the Exec role: the chair (old Committee role, no Manage Server) is refused.
    again = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "list")
    assert "only for the committee" in (await fake.wait_answer(again))["data"]["content"]


async def test_report_to_committee_never_names_the_reporter(running: RunningBot, world: World) -> None:
    fake = world.fake
    target = await fake.post_message(world.general, world.alice, "meet at the library at 7 you muppet")
    reported = await fake.message_command(world.guild, world.general, world.bob, "Report to committee", target)
    await fake.wait_for(lambda: reported.followups, what="the reporter's confirmation")
    assert reported.followups[0]["flags"] & EPHEMERAL
    assert "committee has been told" in reported.followups[0]["content"]
    alert = (await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="the report alert"))[0]
    text = embed_text(alert)
    assert "reported" in text.lower()
    assert str(world.bob) not in text and "bob" not in text.lower()


async def test_nudge_buttons_record_member_feedback(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.alice, BREACH)
    dm = (await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge"))[0]
    await running.idle(fake)
    mistake = next(c for c in custom_ids(dm) if ":mistake:" in c)
    pressed = await fake.press_button(dm, mistake, world.alice)
    answer = await fake.wait_answer(pressed)
    assert answer["data"]["content"] == FEEDBACK_THANKS["mistake"]  # the same words as on Slack
    incident_id = incident_rows(settings.db_path)[0]["id"]
    detail = await running.bot.core.store.events(incident_id)
    assert any("mistake" in (e.action + e.note) for e in detail)


async def test_alert_button_pressed_after_a_restart_still_works(fake, world: World, core, settings,
                                                                open_test_core) -> None:
    first = await start_bot(fake, core, settings)
    await fake.post_message(world.general, world.bob, HATE)
    alert = (await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="the alert"))[0]
    await first.idle(fake)
    await first.stop()
    await close_core(core)

    # A new process: a new core on the same database and a new bot object.
    reopened = await open_test_core()
    second = await start_bot(fake, reopened, settings)
    try:
        incident_id = incident_rows(settings.db_path)[0]["id"]
        member_press = await fake.press_button(alert, f"nudgebot:alert:dismiss:{incident_id}", world.alice)
        assert "only for the committee" in (await fake.wait_answer(member_press))["data"]["content"]
        assert incident_rows(settings.db_path)[0]["status"] == "open"

        pressed = await fake.press_button(alert, f"nudgebot:alert:confirm:{incident_id}", world.chair)
        answer = await fake.wait_answer(pressed)
        assert answer["type"] == 7  # the alert message itself is updated
        assert "Confirmed" in embed_text(answer["data"])
        assert incident_rows(settings.db_path)[0]["status"] == "confirmed"

        deleted = await fake.press_button(alert, f"nudgebot:alert:delete:{incident_id}", world.chair)
        await fake.wait_answer(deleted)
        row = incident_rows(settings.db_path)[0]
        assert (int(row["channel_id"]), int(row["message_id"])) in fake.deleted
        assert row["status"] == "resolved"
    finally:
        await second.stop()
        await close_core(reopened)


async def test_undelivered_nudges_are_sent_after_a_restart(fake, world: World, core, settings) -> None:
    # The last run recorded the incident and stopped before the DM went out (a crash between the two).
    event = MessageEvent(platform=Platform.DISCORD, community_id=world.guild_id, channel_id=str(world.general),
                         message_id=str(fake.ids.next()), author_id=str(world.alice), author_name="alice",
                         text=BREACH, created_at=datetime.now(UTC))
    outcome = await core.moderator.handle(event)
    assert outcome.nudge is not None
    assert incident_rows(settings.db_path)[0]["delivery_status"] == "pending"

    started = await start_bot(fake, core, settings)  # waits for the outbox run
    try:
        dms = fake.dms_to(world.alice)
        assert len(dms) == 1
        assert custom_ids(dms[0])[0] == f"nudgebot:nudge:fixed:{outcome.incident_id}"
        assert incident_rows(settings.db_path)[0]["delivery_status"] == "delivered"
    finally:
        await started.stop()


async def test_committee_mistakes_get_a_clear_private_answer(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    unknown = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "show", {"incident": 9999})
    answer = (await fake.wait_answer(unknown))["data"]
    assert answer["flags"] & EPHEMERAL and "9999" in answer["content"]

    await fake.post_message(world.general, world.alice, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.alice), what="the nudge")
    await running.idle(fake, received=1)
    incident_id = incident_rows(settings.db_path)[0]["id"]
    for action, expected in (("dismiss", "dismissed"), ("confirm", "cannot confirm")):
        asked = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "review",
                                 {"incident": incident_id, "action": action})
        assert expected in (await fake.wait_answer(asked))["data"]["content"]
    assert incident_rows(settings.db_path)[0]["status"] == "dismissed"
