"""Shared checks for the harm-grammar tests: the built-in scanner, and what it says about one message."""

from __future__ import annotations

from bot.detection.scanner import load_default_scanner
from bot.models import Tier


def verdict_of(text: str) -> tuple[Tier | None, list[str]]:
    """The message's tier (None when nothing stands) and the words of the original its matches cover."""
    verdict = load_default_scanner().scan(text)
    if not verdict.matches:
        return None, []
    return verdict.tier, [text[m.start:m.end] for m in verdict.matches]


def assert_caught(text: str, tier: Tier, span: str) -> None:
    """The message is held at `tier` (or flagged, for nudge), and one reported span is exactly `span`."""
    got, spans = verdict_of(text)
    assert got is tier, (text, got, spans)
    assert span in spans, (text, spans)


def assert_left_alone(text: str) -> None:
    """No nudge and no review."""
    got, spans = verdict_of(text)
    assert got is None, (text, got, spans)
