"""One fake Slack serving the society's workspace and another workspace whose committee tries to reach in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detection.scanner import Scanner
from bot.models import Community, Platform
from tests.fakes import slack_events as payloads
from tests.fakes.slack_server import FakeSlack
from tests.slack.conftest import ALERTS, ALICE, GENERAL, SERIOUS, Harness, RunningApp, eventually, fake, shared_scanner

__all__ = ["fake", "shared_scanner"]

ADMIN = "U0ADMIN"  # a workspace admin who is not in the committee group or channel
OTHER_TEAM = "T0ELSEWHERE"
OUTSIDER = "U0RIVAL"  # on the committee of the other workspace
OTHER_GROUP = "S0RIVALS"


@dataclass
class SlackScene:
    """The app after Alice's serious breach: one incident, its ephemeral nudge and the committee's alert."""

    harness: Harness
    incident_id: int
    alert: dict


@pytest.fixture
async def scene(fake: FakeSlack, tmp_path: Path, shared_scanner: Scanner) -> AsyncIterator[SlackScene]:
    """The real Bolt app over Socket Mode with both workspaces' committees configured."""
    fake.add_user(ADMIN, "sysadmin")
    fake.users[ADMIN]["is_admin"] = True
    fake.add_user(OUTSIDER, "rival")
    fake.users[OUTSIDER]["team_id"] = OTHER_TEAM
    fake.add_usergroup(OTHER_GROUP, [OUTSIDER])
    async with RunningApp("socket", fake, tmp_path, shared_scanner) as harness:
        await harness.bot.core.store.save_community(
            Community(platform=Platform.SLACK, community_id=OTHER_TEAM, committee_role=OTHER_GROUP),
            datetime.now(UTC))
        await harness.event(payloads.message(ALICE, GENERAL, SERIOUS))
        await harness.settled(1)
        await eventually(lambda: bool(fake.messages_in(ALERTS)), what="the committee alert")
        alert = fake.messages_in(ALERTS)[0]
        (row,) = harness.incidents()
        yield SlackScene(harness=harness, incident_id=int(row["id"]),
                         alert={"type": "message", "ts": alert.ts, "text": alert.text, "blocks": alert.blocks})
