"""`/nudgebot setup` through the real discord.py and the fake Discord: every per-community setting set by the
committee and read back, each refused to a member off the committee, and what the embed shows."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from bot.core import Core
from bot.discord.access import REFUSAL
from bot.models import Community, NudgeMode, Platform
from tests.discord.support import RunningBot, World, embed_text
from tests.fakes.discord_server import Ref

EPHEMERAL = 64


def _settings(world: World, exec_role: int, exec_alerts: int) -> list[tuple[dict[str, Any], str, Any, str]]:
    """(options typed, field set, value saved, what the embed shows), one per setting."""
    return [
        ({"committee_role": Ref("role", exec_role)}, "committee_role", str(exec_role), f"Committee <@&{exec_role}>"),
        ({"alert_channel": Ref("channel", exec_alerts)}, "alert_channel", str(exec_alerts),
         f"Alert channel <#{exec_alerts}>"),
        ({"under18_channels": f"<#{world.freshers}> <#{world.general}>"}, "under18_channels",
         (str(world.freshers), str(world.general)), f"Under-18 channels <#{world.freshers}> <#{world.general}>"),
        ({"nudge_mode": "record"}, "nudge_mode", NudgeMode.RECORD, "Nudge mode record"),
        ({"retention_days": 45}, "retention_days", 45, "Retention 45 days"),
        ({"keep_full_content": True}, "keep_full_content", True, "Full content kept on"),
        ({"welfare_contact": f"<@{world.chair}> (welfare officer)"}, "welfare_contact",
         f"<@{world.chair}> (welfare officer)", f"Welfare contact <@{world.chair}> (welfare officer)"),
        ({"welfare_alerts": True}, "welfare_alerts", True, "Welfare alerts on"),
    ]


async def _community(core: Core, world: World) -> Community:
    return await core.store.get_community(Platform.DISCORD, world.guild_id)


def _unchanged(before: Community, after: Community, field: str) -> dict[str, tuple[Any, Any]]:
    return {f.name: (getattr(before, f.name), getattr(after, f.name)) for f in fields(before)
            if f.name not in (field, "name") and getattr(before, f.name) != getattr(after, f.name)}


async def test_the_committee_sets_every_setting_and_reads_it_back(running: RunningBot, world: World,
                                                                  core: Core) -> None:
    fake = world.fake
    exec_role = fake.add_role(world.guild, "Exec")
    exec_alerts = fake.add_text_channel(world.guild, "exec-alerts")
    managers = fake.add_role(world.guild, "Admins", 1 << 5)  # Manage Server: committee whatever the role becomes
    president = fake.add_member(world.guild, "president", [managers])
    for options, field, saved, shown in _settings(world, exec_role, exec_alerts):
        before = await _community(core, world)
        asked = await fake.slash(world.guild, world.alerts, president, "nudgebot", "setup", options)
        answer = (await fake.wait_answer(asked))["data"]
        assert answer["content"] == "Saved." and answer["flags"] & EPHEMERAL, field
        assert shown in embed_text(answer), field
        after = await _community(core, world)
        assert getattr(after, field) == saved, field
        assert _unchanged(before, after, field) == {}, field

        shown_again = await fake.slash(world.guild, world.general, president, "nudgebot", "setup")
        again = (await fake.wait_answer(shown_again))["data"]
        assert again["content"].startswith("These are the settings") and shown in embed_text(again), field


async def test_a_member_off_the_committee_is_refused_every_setting(running: RunningBot, world: World,
                                                                   core: Core) -> None:
    fake = world.fake
    exec_role = fake.add_role(world.guild, "Exec")
    exec_alerts = fake.add_text_channel(world.guild, "exec-alerts")
    before = await _community(core, world)
    cases = [options for options, *_ in _settings(world, exec_role, exec_alerts)] + [{}]  # {}: only to look
    for options in cases:
        asked = await fake.slash(world.guild, world.general, world.bob, "nudgebot", "setup", options)
        answer = (await fake.wait_answer(asked))["data"]
        assert answer["content"] == REFUSAL and answer["flags"] & EPHEMERAL, options
        assert not answer.get("embeds"), options
    assert await _community(core, world) == before


async def test_a_channel_that_is_not_the_servers_saves_nothing(running: RunningBot, world: World,
                                                               core: Core) -> None:
    fake = world.fake
    before = await _community(core, world)
    asked = await fake.slash(world.guild, world.alerts, world.chair, "nudgebot", "setup",
                             {"under18_channels": "<#123456789012345678>", "nudge_mode": "off"})
    answer = (await fake.wait_answer(asked))["data"]
    assert answer["content"].startswith("Nothing saved") and "is not a channel of this server" in answer["content"]
    assert await _community(core, world) == before
