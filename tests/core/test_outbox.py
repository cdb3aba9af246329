"""The outbox: a nudge recorded but not delivered survives a killed process and is delivered exactly once."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from bot.core import Core, open_core
from bot.detection.clauses import PolicyBook
from bot.detection.scanner import Scanner
from bot.models import DeliveryResult, DeliveryStatus, IncidentStatus, Platform
from tests.conftest import REPO_ROOT
from tests.core.pipeline import SimClock, make_settings, message

# Records one breach through the real core, says so, then waits for stdin as if about to deliver the nudge.
CHILD = textwrap.dedent("""
    import asyncio, json, sys
    from datetime import UTC, datetime
    from bot.core import open_core
    from bot.models import MessageEvent, Platform
    from bot.settings import load_settings

    async def main():
        core = await open_core(load_settings(None))
        event = MessageEvent(Platform.DISCORD, "g1", "c1", "m-restart", "u1", "Sam",
                             "you are such a retard mate", datetime.now(UTC))
        outcome = await core.moderator.handle(event)
        print(json.dumps({"incident_id": outcome.incident_id, "decision": outcome.decision.value,
                          "text": outcome.nudge.to_text()}), flush=True)
        await asyncio.to_thread(sys.stdin.readline)   # "delivering": killed here
        await core.moderator.report_delivery(outcome.incident_id, None)  # never reached

    asyncio.run(main())
""")


async def _start(tmp_path: Path, scanner: Scanner, policy: PolicyBook, clock: SimClock) -> Core:
    return await open_core(make_settings(tmp_path), clock=clock, scanner=scanner, policy=policy)


async def test_a_nudge_recorded_before_a_kill_is_delivered_once_after_restart(
        tmp_path: Path, clean_env: dict[str, str], scanner: Scanner, policy: PolicyBook, clock: SimClock) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=REPO_ROOT, env=clean_env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = child.stdout.readline() if child.stdout else ""  # blocks until the incident is committed
        assert line, child.stderr.read() if child.stderr else "child printed nothing"
        recorded = json.loads(line)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for stream in (child.stdin, child.stdout, child.stderr):
            if stream:
                stream.close()
    assert recorded["decision"] == "nudge" and recorded["incident_id"]

    # Restart: the outbox gives the nudge; the adapter delivers it and says so.
    first = await _start(tmp_path, scanner, policy, clock)
    try:
        outbox = await first.moderator.pending_nudges()
        assert [n.incident_id for n in outbox] == [recorded["incident_id"]]
        assert outbox[0].to_text() == recorded["text"]  # the same words the killed process would have sent
        await first.moderator.report_delivery(outbox[0].incident_id, DeliveryResult(DeliveryStatus.DELIVERED))
        assert await first.moderator.pending_nudges() == []
    finally:
        await first.close()

    # Another restart: a delivered nudge is never given again.
    second = await _start(tmp_path, scanner, policy, clock)
    try:
        assert await second.moderator.pending_nudges() == []
        incident = await second.store.get_incident(recorded["incident_id"])
        assert incident is not None and incident.delivery_status is DeliveryStatus.DELIVERED
        events = [e.action for e in await second.store.events(recorded["incident_id"])]
        assert events.count("nudge delivered") == 1
    finally:
        await second.close()


async def test_the_outbox_is_oldest_first_and_per_platform(core: Core, clock: SimClock) -> None:
    a = await core.moderator.handle(message(clock, "you are such a retard mate", author="u1"))
    clock.advance(minutes=1)
    b = await core.moderator.handle(message(clock, "you are such a retard mate", author="u2",
                                            platform=Platform.SLACK, community="T1"))
    clock.advance(minutes=1)
    c = await core.moderator.handle(message(clock, "her number is 07700 900123", author="u3"))
    assert [n.incident_id for n in await core.moderator.pending_nudges()] == [a.incident_id, b.incident_id,
                                                                               c.incident_id]
    assert [n.incident_id for n in await core.moderator.pending_nudges(Platform.SLACK)] == [b.incident_id]


async def test_refused_and_dismissed_nudges_are_not_resent(core: Core, clock: SimClock) -> None:
    refused = await core.moderator.handle(message(clock, "you are such a retard mate", author="u1"))
    dismissed = await core.moderator.handle(message(clock, "her number is 07700 900123", author="u2"))
    kept = await core.moderator.handle(message(clock, "honestly you're a complete idiot", author="u3"))
    assert refused.incident_id and dismissed.incident_id and kept.incident_id
    await core.moderator.report_delivery(refused.incident_id, DeliveryResult(DeliveryStatus.REFUSED, "50007"))
    await core.store.set_status(dismissed.incident_id, IncidentStatus.DISMISSED, "committee-1", "dismiss", "own number")
    assert [n.incident_id for n in await core.moderator.pending_nudges()] == [kept.incident_id]
    incident = await core.store.get_incident(dismissed.incident_id)
    assert incident is not None and incident.delivery_status is DeliveryStatus.NOT_NEEDED


async def test_a_nudge_rebuilt_from_the_store_matches_the_one_first_returned(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, "send nudes pls"))
    assert outcome.nudge is not None
    (rebuilt,) = await core.moderator.pending_nudges()
    assert rebuilt == outcome.nudge
