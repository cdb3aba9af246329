"""The database failing under the moderator (read-only, disk full, a real full filesystem): messages are still
handled, incidents wait in a bounded queue, the committee hears once, and once the disk is back every incident is
recorded exactly once and every nudge is given exactly once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

import pytest

from bot.core import Core, open_core
from bot.detection.scanner import Scanner
from bot.models import AlertKind, Decision, DeliveryResult, DeliveryStatus, MessageEvent, Outcome, Platform
from bot.moderation import held
from bot.settings import Settings, load_settings
from tests.discord.support import close_core
from tests.faults.support import (
    SmallDisk,
    delivery_counts,
    incident_counts,
    make_full,
    make_read_only,
    make_writable,
)

INSULT = "honestly you're a complete idiot"  # 5.5.3, medium: an incident and a nudge, no other alert
CLEAN = "is anyone walking up to the lake on Saturday?"
COMMUNITY = "g-hiking"
_ids = count(1)


def post(text: str, author: str) -> MessageEvent:
    """A new message in the test community."""
    return MessageEvent(platform=Platform.DISCORD, community_id=COMMUNITY, channel_id="c-general",
                        message_id=f"m{next(_ids)}", author_id=author, author_name=author, text=text,
                        created_at=datetime.now(UTC))


class Outbox:
    """Plays the adapter: sends each nudge (here: remembers it) and reports the delivery to the core."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.sent: list[int] = []

    async def send(self, outcome: Outcome) -> None:
        if outcome.nudge is not None:
            await self._deliver(outcome.nudge.incident_id)

    async def _deliver(self, incident_id: int) -> None:
        assert incident_id not in self.sent, f"nudge for incident {incident_id} given twice"
        self.sent.append(incident_id)
        await self.core.moderator.report_delivery(incident_id, DeliveryResult(DeliveryStatus.DELIVERED))

    async def retry(self) -> int:
        """One run of the periodic outbox retry; returns how many nudges it sent."""
        nudges = await self.core.moderator.pending_nudges(Platform.DISCORD)
        for nudge in nudges:
            await self._deliver(nudge.incident_id)
        return len(nudges)


def degraded(outcomes: list[Outcome]) -> list[object]:
    return [a for o in outcomes for a in o.alerts if a.kind is AlertKind.STORE_DEGRADED]


async def run_outage(core: Core, db_path: Path, fault: Callable[[], Awaitable[object]],
                     recover: Callable[[], Awaitable[object]], breaches: int = 300) -> Outbox:
    """Messages before, during and after a storage fault; asserts the whole story and returns the outbox."""
    outbox = Outbox(core)
    before = [post(INSULT, f"u{i % 7}") for i in range(5)]
    for event in before:
        await outbox.send(await core.moderator.handle(event))
    assert len(outbox.sent) == 5

    await fault()
    during = [post(INSULT if i % 4 else CLEAN, f"u{i % 30}") for i in range(breaches + breaches // 3)]
    outcomes = []
    for event in during:
        outcome = await core.moderator.handle(event)
        outcomes.append(outcome)
        await outbox.send(outcome)
    # Still serving: every message scanned, clean ones ignored, breaches decided.
    assert all(o.verdict is not None for o in outcomes)
    assert {o.decision for o, e in zip(outcomes, during, strict=True) if e.text == CLEAN} == {Decision.IGNORE}
    assert len(degraded(outcomes)) == 1, "the committee is told once per outage, not once per message"
    held = core.moderator.pending_count
    assert held > 0
    print(f"held {held} of {sum(e.text == INSULT for e in during)} breaching messages; ", end="")
    # A retry while the fault lasts changes nothing and sends nothing twice.
    await outbox.retry()
    assert core.moderator.pending_count >= held

    await recover()
    while await outbox.retry():
        pass
    after = post(INSULT, "u-late")
    await outbox.send(await core.moderator.handle(after))

    breaching = [e for e in (*before, *during, after) if e.text == INSULT]
    assert core.moderator.pending_count == 0
    assert incident_counts(db_path) == {(COMMUNITY, e.message_id, 0): 1 for e in breaching}
    assert sorted(outbox.sent) == sorted(set(outbox.sent)) and len(outbox.sent) == len(breaching)
    assert delivery_counts(db_path) == {"delivered": len(breaching)}
    print(f"{len(breaching)} incidents and nudges once each")
    return outbox


async def test_a_full_disk_loses_nothing_and_nudges_once(bare_core: Core, core_settings: Settings) -> None:
    store = bare_core.store
    await run_outage(bare_core, core_settings.db_path, lambda: make_full(store), lambda: make_writable(store))


async def test_a_read_only_database_loses_nothing_and_nudges_once(bare_core: Core, core_settings: Settings) -> None:
    store = bare_core.store
    await run_outage(bare_core, core_settings.db_path, lambda: make_read_only(store),
                     lambda: make_writable(store))


async def test_a_really_full_filesystem_loses_nothing(small_disk: SmallDisk, shared_scanner: Scanner) -> None:
    db_path = small_disk.path / "nudgebot.db"
    settings = load_settings(env_file=None, environ={"NUDGEBOT_DB": str(db_path),
                                                     "NUDGEBOT_NUDGE_WINDOW_HOURS": "0"})
    core = await open_core(settings, scanner=shared_scanner)
    try:
        async def fill() -> None:
            small_disk.fill()

        async def free() -> None:
            small_disk.free()

        await run_outage(core, db_path, fill, free, breaches=200)
    finally:
        await close_core(core)


async def test_the_queue_is_bounded_and_says_what_it_dropped(bare_core: Core, core_settings: Settings,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(held, "PENDING_QUEUE_LIMIT", 5)
    await make_read_only(bare_core.store)
    events = [post(INSULT, f"u{i}") for i in range(8)]
    with caplog.at_level(logging.ERROR, logger="bot.moderation"):
        for event in events:
            await bare_core.moderator.handle(event)
    assert bare_core.moderator.pending_count == 5
    dropped = [r.message_id for r in caplog.records if r.getMessage().startswith("pending queue full")]
    assert dropped == [e.message_id for e in events[:3]]  # the oldest go first, each named in the log

    await make_writable(bare_core.store)
    assert await bare_core.moderator.flush() == 5
    assert incident_counts(core_settings.db_path) == {(COMMUNITY, e.message_id, 0): 1 for e in events[3:]}


async def test_a_delivery_reported_while_the_disk_is_full_is_not_sent_again(bare_core: Core,
                                                                              core_settings: Settings) -> None:
    outbox = Outbox(bare_core)
    first = await bare_core.moderator.handle(post(INSULT, "u1"))
    assert first.nudge is not None
    await make_read_only(bare_core.store)
    await outbox.send(first)  # sent, but the database cannot take the delivery mark
    assert bare_core.moderator.pending_count == 1
    assert await outbox.retry() == 0  # still pending in the file, but known to be delivered: not given again
    await make_writable(bare_core.store)
    assert await outbox.retry() == 0
    assert delivery_counts(core_settings.db_path) == {"delivered": 1}


async def test_closing_records_what_was_held(core_settings: Settings, shared_scanner: Scanner) -> None:
    core = await open_core(core_settings, scanner=shared_scanner)
    await make_read_only(core.store)
    events = [post(INSULT, f"u{i}") for i in range(3)]
    for event in events:
        await core.moderator.handle(event)
    assert core.moderator.pending_count == 3
    await make_writable(core.store)
    await close_core(core)  # a shutdown after the disk is back: the held incidents are recorded, not lost
    assert incident_counts(core_settings.db_path) == {(COMMUNITY, e.message_id, 0): 1 for e in events}
