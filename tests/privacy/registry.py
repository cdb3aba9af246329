"""What the test session must never find in a log record: every token and secret the tests use, and the text of
every message the tests send through the fakes.

The session-wide audit in `tests/conftest.py` fills the registry by wrapping the fakes' constructors and message
helpers (test code only), captures every log record at INFO and above, and checks them all at the end.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

# Shapes of real credentials: a Discord bot token (base64 id . timestamp . hmac), the fake Discord's interaction
# tokens (they start with base64 "interaction"), Slack bot/user/app tokens.
TOKEN_SHAPES = {
    "a Discord bot token": re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,}"),
    "a Discord interaction token": re.compile(r"aW50ZXJhY3Rpb24[A-Za-z0-9_-]{20,}"),
    "a Slack token": re.compile(r"\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{6,}"),
}
MIN_CONTENT = 12  # shorter texts ("hi all") can turn up in a log line by chance; every test message is longer
_K = MIN_CONTENT


@dataclass
class Registry:
    """Known secrets and sent message texts, and the log records captured while the session ran."""

    secrets: set[str] = field(default_factory=set)
    contents: set[str] = field(default_factory=set)
    records: list[tuple[str, int, str]] = field(default_factory=list)  # (logger, level, rendered text)

    def secret(self, value: str | None) -> None:
        """Remember a token or secret the tests hand to the bot."""
        if value and len(value) >= 8:
            self.secrets.add(value)

    def content(self, text: str | None) -> None:
        """Remember the text of a message sent to the bot."""
        if text and len(text.strip()) >= MIN_CONTENT:
            self.contents.add(text)

    def problems(self) -> list[str]:
        """Every record that holds a secret or a message's text, described without repeating either."""
        found: list[str] = []
        index: dict[str, list[str]] = {}
        for text in self.contents:
            index.setdefault(text[:_K], []).append(text)
        for name, level, rendered in self.records:
            where = f"{logging.getLevelName(level)} record from {name!r}"
            for what, shape in TOKEN_SHAPES.items():
                if shape.search(rendered):
                    found.append(f"{where} holds {what}")
            if any(secret in rendered for secret in self.secrets):
                found.append(f"{where} holds a token or secret the tests use")
            if any(text in rendered for text in _candidates(rendered, index)):
                found.append(f"{where} holds the text of a message ({len(rendered)} characters)")
        return found


def _candidates(rendered: str, index: dict[str, list[str]]) -> Iterable[str]:
    """Texts whose first characters occur in `rendered` (one set look-up per position, not one scan per text)."""
    for start in range(len(rendered) - _K + 1):
        hit = index.get(rendered[start:start + _K])
        if hit:
            yield from hit


def render(record: logging.LogRecord) -> str:
    """Everything a log handler could write for a record: message, extras, exception and stack."""
    try:
        message = record.getMessage()
    except Exception:  # a record whose args do not fit its format: keep both raw
        message = f"{record.msg!r} {record.args!r}"
    extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
    parts = [message, repr(extras) if extras else ""]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(p for p in parts if p)


_STANDARD = set(logging.LogRecord("x", logging.INFO, "x", 0, "x", (), None).__dict__) | {"message", "asctime"}


class Capture(logging.Handler):
    """A root handler keeping the rendered text of every record at its level and above."""

    def __init__(self, registry: Registry, level: int = logging.INFO) -> None:
        super().__init__(level)
        self.registry = registry

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record's full text."""
        self.registry.records.append((record.name, record.levelno, render(record)))


def wrap(owner: Any, name: str, before: Callable[..., None]) -> Callable[[], None]:
    """Replace `owner.name` with a wrapper that calls `before(*args, **kwargs)` first; returns the undo."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        before(*args, **kwargs)
        return original(*args, **kwargs)

    setattr(owner, name, wrapper)
    return lambda: setattr(owner, name, original)


REGISTRY = Registry()
