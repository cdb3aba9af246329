"""How nudgebot's own log lines look and how loud they are: the ids a record carries, never a member's words.

Code logs ids as structured extras (`log.info("incident recorded", extra={"incident_id": 3})`); the formatter
prints them after the message as `key=value`, so an operator can find the incident, message or channel a line is
about. A member's text (`text`, `content`, `excerpt`) is printed only on DEBUG records, and anything named like a
credential (`token`, `secret`, `password`) never.

Ids that hold for a whole stretch of work are bound once instead of passed to every call: `bind_process_ids`
for the process (the Discord shards it runs), `bound_ids` for the message in hand (its workspace and shard), kept
in a context variable so every line logged while handling it (by nudgebot or a library) carries them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING, "ERROR": logging.ERROR}

CONTENT_KEYS = frozenset({"text", "content", "excerpt", "body"})
_CREDENTIAL_WORDS = ("token", "secret", "password")
# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = frozenset(logging.LogRecord("x", logging.INFO, "x", 0, "x", (), None).__dict__) | {
    "message", "asctime", "taskName"}


_process_ids: dict[str, Any] = {}
_bound_ids: ContextVar[Mapping[str, Any]] = ContextVar("nudgebot_log_ids",
                                                         default=MappingProxyType({}))


def bind_process_ids(**ids: Any) -> None:
    """Ids every line of this process carries from now on (`shards="0-1"`); None removes one."""
    for key, value in ids.items():
        if value is None:
            _process_ids.pop(key, None)
        else:
            _process_ids[key] = value


@contextmanager
def bound_ids(**ids: Any) -> Iterator[None]:
    """Within the block (and the tasks it starts), every line carries these ids (`workspace_id`, `shard_id`)."""
    token = _bound_ids.set({**_bound_ids.get(), **{k: v for k, v in ids.items() if v is not None}})
    try:
        yield
    finally:
        _bound_ids.reset(token)


def _is_credential(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


def _value(value: Any) -> str:
    """One extra as it appears after `key=`: a list as `a,b`, quoted when it holds spaces, quotes, `=` or line
    breaks (so a value can never pose as another key or another log line)."""
    # Lists of ids (incident_ids, rules) read best as a,b,c.
    text = ",".join(map(str, value)) if isinstance(value, list | tuple | set | frozenset) else str(value)
    if not text or any(c.isspace() or c in "=\"'" for c in text):
        return repr(text)
    return text


def extras_of(record: logging.LogRecord) -> dict[str, Any]:
    """The `extra` fields a record carries, in the order the code passed them, then the ids bound for the message
    in hand and for the process (a record's own value of a key wins)."""
    extras = {key: value for key, value in record.__dict__.items() if key not in _STANDARD and not key.startswith("_")}
    for key, value in (*_bound_ids.get().items(), *_process_ids.items()):
        extras.setdefault(key, value)
    return extras


def format_extras(extras: Mapping[str, Any], *, with_content: bool) -> str:
    """`key=value` pairs for the ids; content only when `with_content` (DEBUG records); credentials never."""
    pairs = []
    for key, value in extras.items():
        if _is_credential(key) or (key in CONTENT_KEYS and not with_content):
            continue
        pairs.append(f"{key}={_value(value)}")
    return " ".join(pairs)


class IdsFormatter(logging.Formatter):
    """The standard line (time, level, logger, message) followed by the record's ids as `key=value`."""

    def __init__(self, fmt: str = FORMAT) -> None:
        super().__init__(fmt)

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The message line with the extras after it; the traceback, if any, still follows on its own lines."""
        line = super().formatMessage(record)
        extras = format_extras(extras_of(record), with_content=record.levelno <= logging.DEBUG)
        return f"{line} {extras}" if extras else line


def level_for(setting: str, verbose: int = 0) -> int:
    """The level a bot command runs at: NUDGEBOT_LOG_LEVEL (DEBUG, INFO, WARNING, ERROR), or louder when the
    command line asks for it (`-v` INFO, `-vv` DEBUG, as for every other command)."""
    level = LEVELS.get(setting.strip().upper(), logging.INFO)
    if verbose <= 0:
        return level
    return min(level, logging.WARNING - 10 * min(verbose, 2))


def configure(level: int) -> None:
    """Send nudgebot's and the libraries' records to stderr through `IdsFormatter`, at `level`.

    Called by `nudgebot` at start and again by the bot commands once their settings are read; calling it again
    changes the level and keeps a single handler. Like `logging.basicConfig`, it leaves logging alone when
    something else has configured it already (a program calling `main()` in-process, a test runner).
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_nudgebot", False)), None)
    if handler is None and root.handlers:
        return
    if handler is None:
        handler = logging.StreamHandler()
        handler._nudgebot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    handler.setFormatter(IdsFormatter())
    root.setLevel(level)
