"""`/nudgebot-setup` through the real slack-bolt and the fake Slack: every per-community setting set by the
committee and read back, refused to everyone else, and clause 5.2 applied in the under-18 channels it names."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from bot.core import build_scanner
from bot.detection.scanner import Scanner
from bot.models import Community, NudgeMode, Platform
from bot.settings import Settings
from bot.texts import SLACK_SETUP_COMMITTEE_ONLY
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import (
    ALERTS,
    ALICE,
    BOB,
    CAROL,
    COMMITTEE_CHANNEL,
    DAVE,
    GENERAL,
    PRIVATE,
    TEAM,
    Harness,
    RunningApp,
    eventually,
)

SETUP = "/nudgebot-setup"
TRIAL_WORD = "glimmerwhisk"  # a committee's own review-tier 5.5.2 term, invented for these tests

# (what the committee types, the field it sets, the value saved, how the answer shows it)
SETTINGS: list[tuple[str, str, Any, str]] = [
    ("committee=<!subteam^S0EXEC|@exec>", "committee_role", "S0EXEC", "<!subteam^S0EXEC>"),
    (f"committee-channel=<#{PRIVATE}|society-private>", "committee_channel", PRIVATE, f"<#{PRIVATE}>"),
    (f"alert-channel=<#{GENERAL}|general>", "alert_channel", GENERAL, f"*Alert channel*: <#{GENERAL}>"),
    (f"under18=<#{GENERAL}|general> <#{PRIVATE}|society-private>", "under18_channels", (GENERAL, PRIVATE),
     f"<#{GENERAL}> <#{PRIVATE}>"),
    ("mode=record", "nudge_mode", NudgeMode.RECORD, "*Nudge mode*: record"),
    ("retention=90", "retention_days", 90, "*Retention*: 90 days"),
    ("content=on", "keep_full_content", True, "*Full content kept*: on"),
    ("welfare-contact=<@U0DAVE|dave>", "welfare_contact", "<@U0DAVE|dave>", "*Welfare contact*: <@U0DAVE|dave>"),
    ("welfare-alerts=on", "welfare_alerts", True, "*Welfare alerts*: on"),
]


async def _answer(harness: Harness, text: str, user: str) -> str:
    key = await harness.command(SETUP, text, user)
    await eventually(lambda: bool(harness.responses(key)), what=f"the answer to {SETUP} {text}")
    (answer,) = harness.responses(key)
    assert answer.raw.get("response_type", "ephemeral") == "ephemeral"
    return answer.text + json.dumps(answer.blocks)


async def _community(harness: Harness) -> Community:
    return await harness.bot.core.store.get_community(Platform.SLACK, TEAM)


@pytest.mark.parametrize(("typed", "field", "saved", "shown"), SETTINGS, ids=[s[1] for s in SETTINGS])
async def test_the_committee_sets_each_setting_and_reads_it_back(socket_harness: Harness, typed: str, field: str,
                                                                 saved: Any, shown: str) -> None:
    before = await _community(socket_harness)
    answer = await _answer(socket_harness, typed, CAROL)  # Carol: in the committee user group
    assert "Saved." in answer and shown in answer
    after = await _community(socket_harness)
    assert getattr(after, field) == saved
    # Nothing else changed.
    others = {f.name: getattr(before, f.name) for f in fields(before) if f.name != field}
    assert {f: getattr(after, f) for f in others} == others
    # Read back by someone still on the committee: Dave (the committee channel) once the group has changed.
    shown_again = await _answer(socket_harness, "", DAVE if field == "committee_role" else CAROL)
    assert "Saved." not in shown_again and shown in shown_again


async def test_several_settings_in_one_command_over_http(http_harness: Harness) -> None:
    answer = await _answer(http_harness, f"mode=off retention=30 under18=<#{PRIVATE}|society-private>", CAROL)
    assert "Saved." in answer
    saved = await _community(http_harness)
    assert (saved.nudge_mode, saved.retention_days, saved.under18_channels) == (NudgeMode.OFF, 30, (PRIVATE,))


async def test_a_member_off_the_committee_is_refused_every_setting(socket_harness: Harness) -> None:
    before = await _community(socket_harness)
    for typed, _field, _saved, _shown in SETTINGS:
        answer = await _answer(socket_harness, typed, BOB)
        assert SLACK_SETUP_COMMITTEE_ONLY in answer and "Saved" not in answer, typed
    for asked in ("", "help"):  # not even the settings or the help
        answer = await _answer(socket_harness, asked, BOB)
        assert SLACK_SETUP_COMMITTEE_ONLY in answer and ALERTS not in answer and "retention" not in answer.lower()
    assert await _community(socket_harness) == before


async def test_a_wrong_value_saves_nothing_and_says_what_to_fix(socket_harness: Harness) -> None:
    before = await _community(socket_harness)
    for typed, fix in (("retention=0", "from 1 to 3650"), ("mode=loud", "nudge, record, off"),
                       ("under18=#freshers", "#mentions or ids"), ("colour=blue", "not a setting"),
                       ("mode=record retention=lots", "number of days")):
        answer = await _answer(socket_harness, typed, CAROL)
        assert "Nothing saved" in answer and fix in answer, typed
    assert await _community(socket_harness) == before


@pytest.fixture(scope="module")
def trial_scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    """The built-in packs plus a committee's own pack with one review-tier explicit-content term."""
    folder = tmp_path_factory.mktemp("committee-pack")
    (folder / "trial.yaml").write_text(f"""
pack: committee-trial
defaults: {{clause: "5.5.2", category: Sexually explicit content, severity: medium}}
rules:
  - id: society.trial-slang
    kind: terms
    tier: review
    terms: [{TRIAL_WORD}]
    examples: {{match: ["a {TRIAL_WORD} again"], no_match: ["a whisk"]}}
""", encoding="utf-8")
    return build_scanner(Settings(rules_dirs=(folder,)))


@pytest.fixture
async def trial_harness(fake: FakeSlack, tmp_path: Path, trial_scanner: Scanner) -> AsyncIterator[Harness]:
    """The app over Socket Mode with the committee's trial pack loaded."""
    async with RunningApp("socket", fake, tmp_path, trial_scanner) as harness:
        yield harness


async def test_under18_channels_set_on_slack_get_clause_5_2(trial_harness: Harness) -> None:
    harness, fake = trial_harness, trial_harness.fake
    assert "Saved." in await _answer(harness, f"under18=<#{PRIVATE}|society-private>", DAVE)
    text = f"a {TRIAL_WORD} again tonight"

    await harness.event(payloads.message(ALICE, GENERAL, text))  # adults: held for the committee's review
    await harness.event(payloads.message(BOB, PRIVATE, text))  # the under-18 channel: nudged there and then
    await harness.settled(2)
    await eventually(lambda: len(fake.ephemerals(BOB)) == 1, what="Bob's nudge in the under-18 channel")

    by_channel = {row["channel_id"]: row for row in harness.incidents()}
    assert set(by_channel) == {GENERAL, PRIVATE}
    assert by_channel[GENERAL]["status"] == "review" and by_channel[GENERAL]["tier"] == "review"
    assert by_channel[PRIVATE]["tier"] == "nudge" and by_channel[PRIVATE]["status"] == "open"
    assert fake.ephemerals(BOB)[0].channel == PRIVATE
    assert fake.ephemerals(ALICE) == []  # held for review: nobody nudged in #general
    assert COMMITTEE_CHANNEL not in by_channel


async def test_a_typed_contact_is_shown_as_text_not_as_markup(socket_harness: Harness) -> None:
    answer = await _answer(socket_harness, "welfare-contact=<!channel> or <https://evil.example|the form>", CAROL)
    assert "Saved." in answer
    assert "<!channel>" not in answer and "&lt;!channel&gt;" in answer  # no one pinged, no forged link
    assert (await _community(socket_harness)).welfare_contact == "<!channel> or <https://evil.example|the form>"
