"""One fake Slack serving the society's workspace and another workspace whose committee tries to reach in.

Building the scene (a fake, the Bolt app connected, a breach with its nudge and alert) takes most of a case's time,
so the cases that change nothing share one scene per module; a case marked `fresh_scene` (it confirms, exports,
answers a nudge...) gets a scene of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.detection.scanner import Scanner
from bot.models import Community, Platform
from tests.fakes import slack_events as payloads
from tests.permissions.scenes import scene_fixtures
from tests.slack.conftest import (
    ALERTS,
    ALICE,
    GENERAL,
    SERIOUS,
    Harness,
    RunningApp,
    eventually,
    fake,
    make_workspace,
    shared_scanner,
)

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


@contextlib.asynccontextmanager
async def _scene(folder: Path, scanner: Scanner) -> AsyncIterator[SlackScene]:
    """The real Bolt app over Socket Mode with both workspaces' committees configured, after Alice's breach."""
    fake = make_workspace()
    fake.add_user(ADMIN, "sysadmin")
    fake.users[ADMIN]["is_admin"] = True
    fake.add_user(OUTSIDER, "rival")
    fake.users[OUTSIDER]["team_id"] = OTHER_TEAM
    fake.add_usergroup(OTHER_GROUP, [OUTSIDER])
    await fake.start()
    try:
        async with RunningApp("socket", fake, folder, scanner) as harness:
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
    finally:
        await fake.close()


# The scene a case gets: the module's shared one, or its own when marked `fresh_scene` (tests/permissions/scenes.py).
shared_scene, scene = scene_fixtures(_scene, "slack-scene")
