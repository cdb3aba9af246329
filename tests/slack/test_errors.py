"""The app's one error handler: a failure no listener answered is logged once, with the request's ids."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.fakes import slack_events as payloads
from tests.slack.conftest import ALICE, GENERAL, TEAM, Harness, eventually


async def test_a_failing_listener_is_logged_with_its_ids_by_the_error_handler(
        socket_harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    # Over Socket Mode, where the press is acknowledged before the listener's work (HTTP mode answers 500).
    harness = socket_harness
    released = asyncio.Event()

    async def broken(incident_id: int, user_id: str, kind: str, note: str = "") -> bool:
        await released.wait()  # fails after the button press was acknowledged, as a database error would
        raise RuntimeError("the feedback table is gone")

    monkeypatch.setattr(harness.bot.core.moderator, "member_feedback", broken)
    with caplog.at_level(logging.ERROR, logger="bot.slack"):
        await harness.interaction(payloads.block_action(TEAM, ALICE, GENERAL, "nudgebot_nudge_mistake", "41",
                                                        harness.fake.response_url("mistake"),
                                                        container_type="ephemeral"))
        released.set()
        await eventually(lambda: any(r.name == "bot.slack.listeners.errors" for r in caplog.records), 10,
                         "the error handler's record")
    [record] = [r for r in caplog.records if r.name == "bot.slack.listeners.errors"]
    assert record.getMessage() == "Slack request failed"
    assert (getattr(record, "user_id", None), getattr(record, "team_id", None)) == (ALICE, TEAM)
    assert getattr(record, "type", None) == "block_actions"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
