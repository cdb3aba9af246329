"""nudgebot's log lines: the ids a record carries are printed after its message, a member's words only at DEBUG,
credentials never; the level the bot commands run at follows NUDGEBOT_LOG_LEVEL and the -v flags."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.logsetup import IdsFormatter, level_for
from bot.models import MessageEvent, Platform
from bot.runtime.inbox import Inbox
from bot.runtime.workers import Workers

WORDS = "meet me after the seminar, you useless lump"


@pytest.fixture(name="lines")
def lines_fixture() -> Iterator[io.StringIO]:
    """What a root handler with nudgebot's formatter writes, DEBUG included, for one test."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(IdsFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _event(message_id: str) -> MessageEvent:
    return MessageEvent(platform=Platform.DISCORD, community_id="9001", channel_id="9002", message_id=message_id,
                        author_id="9003", author_name="alice", text=WORDS, created_at=datetime.now(UTC))


async def test_a_message_that_fails_is_logged_with_its_ids_and_not_its_words(tmp_path: Path,
                                                                            lines: io.StringIO) -> None:
    inbox = Inbox(tmp_path / "spool.db", Platform.DISCORD, 1)
    handled: list[str] = []
    carried_on = asyncio.Event()

    async def handle(event: MessageEvent) -> None:
        handled.append(event.message_id)
        if event.message_id == "bad":
            raise RuntimeError("a bug met on one message")
        carried_on.set()

    workers = Workers(inbox, 1, handle, name="test-workers")
    await inbox.start()
    workers.start()
    try:
        inbox.put(_event("bad"))
        inbox.put(_event("good"))  # the worker carries on after the failure
        # One shard takes them in order: once "good" is in hand, the failure of "bad" has been logged.
        await asyncio.wait_for(carried_on.wait(), 10)
    finally:
        await workers.stop(5)
    assert handled == ["bad", "good"]
    failure = next(line for line in lines.getvalue().splitlines() if "message not moderated" in line)
    assert "ERROR bot.runtime.workers: message not moderated" in failure
    assert "community_id=9001 channel_id=9002 message_id=bad" in failure
    assert "RuntimeError: a bug met on one message" in lines.getvalue()  # the traceback follows
    assert WORDS not in lines.getvalue()


def _record(level: int, message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("bot.moderation", level, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return record


def test_content_only_on_debug_records_and_credentials_never() -> None:
    formatter = IdsFormatter("%(levelname)s %(message)s")
    info = formatter.format(_record(logging.INFO, "incident recorded", incident_id=7, text=WORDS,
                                    slack_bot_token="xoxb-1-2-3", rules=["insult.direct", "insult.group"]))
    assert info == "INFO incident recorded incident_id=7 rules=insult.direct,insult.group"
    debug = formatter.format(_record(logging.DEBUG, "scanned", message_id="5", text=WORDS, token="abc"))
    assert debug == f"DEBUG scanned message_id=5 text='{WORDS}'"
    assert formatter.format(_record(logging.WARNING, "no extras")) == "WARNING no extras"


def test_a_value_cannot_pose_as_another_id_or_another_line() -> None:
    formatter = IdsFormatter("%(message)s")
    line = formatter.format(_record(logging.INFO, "x", reason="dm closed incident_id=1\nERROR forged", empty=""))
    assert line == "x reason='dm closed incident_id=1\\nERROR forged' empty=''"


@pytest.mark.parametrize(("setting", "verbose", "level"), [
    ("INFO", 0, logging.INFO), ("WARNING", 0, logging.WARNING), ("ERROR", 0, logging.ERROR),
    ("DEBUG", 0, logging.DEBUG), ("WARNING", 1, logging.INFO), ("ERROR", 2, logging.DEBUG),
    ("INFO", 1, logging.INFO), ("debug", 0, logging.DEBUG)])
def test_the_bot_level_is_the_setting_or_louder_when_asked_on_the_command_line(setting: str, verbose: int,
                                                                             level: int) -> None:
    assert level_for(setting, verbose) == level


def test_configure_leaves_logging_alone_when_something_else_set_it_up(lines: io.StringIO) -> None:
    from bot.logsetup import configure

    root = logging.getLogger()
    before = (root.level, list(root.handlers))
    configure(logging.ERROR)  # as main() does when a program calls it in-process
    assert (root.level, list(root.handlers)) == before
