"""The table of community settings: it covers every setting a community has, offers each on both platforms (the
Slack-only committee channel aside), and reads what committees type."""

from __future__ import annotations

import pytest

from bot.community_setup import COMMUNITY_SETTINGS, channel_ids, coerce, parse_assignments, setting_named
from bot.errors import InputError
from bot.models import NudgeMode, Platform
from bot.review import SETTABLE


def test_the_table_covers_every_setting_a_community_has() -> None:
    assert {s.field for s in COMMUNITY_SETTINGS} | {"name"} == SETTABLE
    slack_only = {s.field for s in COMMUNITY_SETTINGS if s.platforms == {Platform.SLACK}}
    assert slack_only == {"committee_channel"}  # Discord's committee is a role (or Manage Server), never a channel
    assert all(s.platforms == {Platform.DISCORD, Platform.SLACK} for s in COMMUNITY_SETTINGS
               if s.field not in slack_only)
    names = [name for s in COMMUNITY_SETTINGS for name in s.names]
    assert len(names) == len(set(names))


def test_typed_values_are_read_or_refused() -> None:
    assert parse_assignments(["under18=<#C1AAAAAA|a>", "<#C2BBBBBB|b>", "mode=record"]) == {
        "under18_channels": "<#C1AAAAAA|a> <#C2BBBBBB|b>", "nudge_mode": "record"}
    assert channel_ids("<#C1AAAAAA|a>, C2BBBBBB 112233445566778899") == ("C1AAAAAA", "C2BBBBBB",
                                                                         "112233445566778899")
    assert channel_ids("none") == ()
    assert coerce(setting_named("mode"), "OFF", Platform.DISCORD) is NudgeMode.OFF
    assert coerce(setting_named("welfare-alerts"), "yes", Platform.SLACK) is True
    assert coerce(setting_named("committee"), "<!subteam^S0EXEC|@exec>", Platform.SLACK) == "S0EXEC"
    assert coerce(setting_named("committee"), "<@&112233445566778899>", Platform.DISCORD) == "112233445566778899"
    assert coerce(setting_named("welfare-contact"), "  Sam \n (welfare) ", Platform.DISCORD) == "Sam (welfare)"
    for name, value, platform in (("retention", "0", Platform.SLACK), ("retention", True, Platform.SLACK),
                                  ("content", "perhaps", Platform.SLACK), ("under18", "#general", Platform.SLACK),
                                  ("committee-channel", "C0X1234567", Platform.DISCORD),
                                  ("committee", "exec", Platform.SLACK), ("welfare-contact", "x" * 201,
                                                                          Platform.DISCORD)):
        with pytest.raises(InputError):
            coerce(setting_named(name), value, platform)
    with pytest.raises(InputError, match="not a setting"):
        setting_named("colour")
    with pytest.raises(InputError, match="name=value"):
        parse_assignments(["record"])
