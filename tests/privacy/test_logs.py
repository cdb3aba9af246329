"""Logs: the session-wide audit can find a leak, and the two places libraries would leak do not.

slack-bolt logs the whole body of a request whose signature fails at INFO; discord.py's DEBUG lines print the
interaction callback and webhook URLs, whose last part is the interaction's token. nudgebot rewrites both
(`bot/logredact.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.logredact import redact_tokens, withhold_body
from tests.discord.conftest import core, fake, open_test_core, running, settings, shared_scanner, world
from tests.discord.support import RunningBot, World
from tests.privacy.registry import Capture, Registry

__all__ = ["core", "fake", "open_test_core", "running", "settings", "shared_scanner", "world"]


@pytest.fixture(name="everything")
def everything_fixture() -> Iterator[Registry]:
    """Every record from every logger, DEBUG included, for the length of one test."""
    registry = Registry()
    handler = Capture(registry, logging.DEBUG)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield registry
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_the_audit_finds_tokens_secrets_and_message_text() -> None:
    registry = Registry()
    registry.secret("load-test-signing-secret")
    registry.content("meet me behind the library, you absolute muppet")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("fine",), None)
    registry.records = [
        ("a", logging.INFO, "POST /interactions/1/aW50ZXJhY3Rpb24abcdefghijklmnopqrstuvwxyz/callback"),
        ("b", logging.WARNING, "token xoxb-1234-5678-abcdef was refused"),
        ("c", logging.INFO, "MTIzNDU2Nzg5MDEyMzQ1Njc4.GfAkEx.abcdefghijklmnopqrstuvwxyz0123456"),
        ("d", logging.INFO, "signing secret is load-test-signing-secret"),
        ("e", logging.INFO, "got {'text': 'meet me behind the library, you absolute muppet'}"),
        ("f", logging.INFO, "incident recorded {'incident_id': 3}"),
    ]
    assert [p.split(" record from ")[1].split(" ")[0] for p in registry.problems()] == [
        "'a'", "'b'", "'c'", "'d'", "'e'"]
    assert record.getMessage() == "fine"


def test_the_rewrites_keep_the_record_but_not_the_secret() -> None:
    url = "POST https://discord.com/api/v10/interactions/123/aW50ZXJhY3Rpb24xyz-_.abc/callback with None"
    assert redact_tokens(url) == "POST https://discord.com/api/v10/interactions/123/<redacted>/callback with None"
    assert redact_tokens("PATCH /webhooks/99/tok_en-1/messages/@original") == \
        "PATCH /webhooks/99/<redacted>/messages/@original"
    assert redact_tokens("{'id': '5', 'token': 'aW50abc'}") == "{'id': '5', 'token': '<redacted>'}"
    line = "Invalid request signature detected (signature: v0=abc, timestamp: 1, body: {\"text\": \"hi\"})"
    assert withhold_body(line).endswith("body withheld: it may hold a member's message)")
    assert "hi" not in withhold_body(line)


async def test_interaction_tokens_stay_out_of_discord_logs_even_at_debug(running: RunningBot, world: World,
                                                                         everything: Registry) -> None:
    fake = world.fake
    asked = await fake.slash(world.guild, world.alerts, world.chair, "incidents", "export")
    await fake.wait_for(lambda: asked.followups, what="the export follow-up")  # callback, then a webhook call
    shown = await fake.slash(world.guild, world.general, world.alice, "policy", "clause", {"clause": "5.5.1"})
    await fake.wait_answer(shown)
    texts = [text for _, _, text in everything.records]
    assert any("<redacted>" in text for text in texts)  # discord.py did log those URLs, without the token
    for token in (asked.token, shown.token):
        assert not any(token in text for text in texts)
    everything.secret(fake.token)
    assert everything.problems() == []
