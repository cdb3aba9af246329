"""The review and shadow tiers end to end through the real discord.py and the fake Discord.

A committee rules dir (tests/tierpack.py) holds a review-tier and a shadow-tier rule; the scanner the bot runs
is built from it as NUDGEBOT_RULES_DIR would build it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.detection.scanner import Scanner
from bot.models import Platform, Principal, ReviewAction
from tests.discord.support import RunningBot, World, custom_ids, embed_text, incident_rows, start_bot
from tests.tierpack import HELD, HELD_RULE, SHADOW, SHADOW_RULE, build_tier_scanner

BREACH = "text Priya on 07700 900123, that's her number"  # a nudge-tier breach, to prove what came before was read


@pytest.fixture(scope="module")
def shared_scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    """The bot's scanner with the committee's tier pack (overrides the session's built-in one here)."""
    return build_tier_scanner(tmp_path_factory.mktemp("committee-rules"))


def shadow_rows(db_path: Path) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(db_path)) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM shadow_matches ORDER BY id")]


async def held_alert(running: RunningBot, world: World) -> dict[str, Any]:
    fake = world.fake
    await fake.post_message(world.general, world.alice, HELD)
    alerts = await fake.wait_for(lambda: fake.bot_messages(world.alerts), what="the held-for-review alert")
    await running.idle(fake)
    return alerts[0]


async def test_a_review_tier_message_is_held_with_no_dm_and_a_distinct_alert(running: RunningBot, world: World,
                                                                           settings) -> None:
    alert = await held_alert(running, world)
    row = incident_rows(settings.db_path)[0]
    assert (row["status"], row["tier"], row["delivery_status"]) == ("review", "review", "suppressed")
    assert world.fake.dms_to(world.alice) == []
    text = embed_text(alert)
    assert "Held for review" in text and HELD_RULE in text
    assert "grobblewit" not in text  # masked
    assert custom_ids(alert) == [f"nudgebot:alert:confirm:{row['id']}", f"nudgebot:alert:dismiss:{row['id']}"]
    labels = [c["label"] for r in alert["components"] for c in r["components"]]
    assert labels == ["Confirm & nudge", "Dismiss"]
    # The committee's list shows it under its own status.
    listed = await world.fake.slash(world.guild, world.alerts, world.chair, "incidents", "list",
                                    {"status": "review"})
    answer = embed_text((await world.fake.wait_answer(listed))["data"])
    assert f"#{row['id']}" in answer and "held for review" in answer


async def test_confirm_and_nudge_sends_exactly_one_dm(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    alert = await held_alert(running, world)
    incident_id = incident_rows(settings.db_path)[0]["id"]
    refused = await fake.press_button(alert, f"nudgebot:alert:confirm:{incident_id}", world.bob)
    assert "only for the committee" in (await fake.wait_answer(refused))["data"]["content"]
    pressed = await fake.press_button(alert, f"nudgebot:alert:confirm:{incident_id}", world.chair)
    await fake.wait_answer(pressed)
    dms = await fake.wait_for(lambda: fake.dms_to(world.alice), what="the released nudge")
    again = await fake.press_button(alert, f"nudgebot:alert:confirm:{incident_id}", world.chair)
    assert "cannot confirm" in (await fake.wait_answer(again))["data"]["content"]
    await running.bot.delivery.deliver_outbox()  # the outbox finds nothing more to send
    await running.idle(fake)
    assert len(fake.dms_to(world.alice)) == 1
    assert custom_ids(dms[0])[0] == f"nudgebot:nudge:fixed:{incident_id}"
    # idle() does not wait for the delivery service to record the delivery it made: wait (with a deadline) for the row.
    row = await fake.wait_for(
        lambda: next((r for r in incident_rows(settings.db_path) if r["delivery_status"] == "delivered"), None),
        what="the released nudge recorded as delivered")
    assert (row["status"], row["delivery_status"]) == ("confirmed", "delivered")


async def test_dismiss_sends_nothing(running: RunningBot, world: World, settings) -> None:
    fake = world.fake
    alert = await held_alert(running, world)
    incident_id = incident_rows(settings.db_path)[0]["id"]
    await fake.wait_answer(await fake.press_button(alert, f"nudgebot:alert:dismiss:{incident_id}", world.chair))
    await running.bot.delivery.deliver_outbox()
    await fake.post_message(world.general, world.bob, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge, after the dismissal")
    await running.idle(fake)
    assert fake.dms_to(world.alice) == []
    assert incident_rows(settings.db_path)[0]["status"] == "dismissed"


async def test_a_confirmation_the_bot_did_not_send_is_sent_once_after_a_restart(fake, world: World, core,
                                                                                settings) -> None:
    # Confirmed while no bot ran (the CLI, or a crash before the DM): the outbox owes the nudge.
    first = await start_bot(fake, core, settings)
    await fake.post_message(world.general, world.alice, HELD)
    await fake.wait_for(lambda: incident_rows(settings.db_path), what="the held incident")
    await first.idle(fake)
    await first.stop()
    incident_id = incident_rows(settings.db_path)[0]["id"]
    chair = Principal(Platform.DISCORD, world.guild_id, str(world.chair), is_committee=True)
    await core.review.decide(chair, incident_id, ReviewAction.CONFIRM, "from the CLI")
    second = await start_bot(fake, core, settings)  # waits for the outbox run
    try:
        assert len(fake.dms_to(world.alice)) == 1
        await second.bot.delivery.deliver_outbox()
        assert len(fake.dms_to(world.alice)) == 1
        assert incident_rows(settings.db_path)[0]["delivery_status"] == "delivered"
    finally:
        await second.stop()


async def test_a_shadow_tier_message_is_counted_with_no_incident_dm_or_alert(running: RunningBot, world: World,
                                                                           settings) -> None:
    fake = world.fake
    await fake.post_message(world.general, world.alice, SHADOW)
    await fake.post_message(world.general, world.bob, BREACH)
    await fake.wait_for(lambda: fake.dms_to(world.bob), what="bob's nudge, after the shadow message")
    await running.idle(fake)
    assert [r["author_id"] for r in incident_rows(settings.db_path)] == [str(world.bob)]
    assert fake.dms_to(world.alice) == []
    assert fake.bot_messages(world.alerts) == []  # bob's breach is medium severity: no alert either
    shadow = shadow_rows(settings.db_path)
    assert [(r["rule_id"], r["community_id"]) for r in shadow] == [(SHADOW_RULE, world.guild_id)]
    assert "splonker" not in shadow[0]["sample"]
