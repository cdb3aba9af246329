"""Reads `.env` and the environment into one typed, validated Settings object; secrets never show in a repr."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv.parser import parse_stream

from bot.errors import NudgebotError
from bot.store.target import DatabaseTarget, database_target

DEFAULT_WELFARE_TEXT = (
    "It sounds like things might be hard right now. You don't have to deal with it alone: the Students' Union "
    "Advice Service offers free, confidential support, and Samaritans are there any time on 116 123 "
    "(free, 24/7). If you are in danger, call 999."
)


class SettingsError(NudgebotError):
    """A setting is missing or wrong: the message names the variable, what is wrong and how to fix it."""

    def __init__(self, variable: str, problem: str, fix: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {problem}. {fix}")


class Secret:
    """A token or signing secret: shown as *** in reprs, logs and errors; `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one call that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything nudgebot is configured with; see .env.example for each variable."""

    db_path: DatabaseTarget = Path("nudgebot.db")  # an SQLite file, or a postgresql:// URL (kept as text)
    rules_dirs: tuple[Path, ...] = ()
    student_number_pattern: str | None = None
    discord_token: Secret | None = None
    slack_bot_token: Secret | None = None
    slack_app_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    slack_mode: str = "socket"
    committee_role: str = "Committee"
    nudge_window_hours: int = 24
    escalation_threshold: int = 3
    escalation_window_days: int = 7
    retention_days: int = 180
    keep_full_content: bool = False
    log_level: str = "INFO"
    welfare_text: str = DEFAULT_WELFARE_TEXT
    inbox_memory: int = 2_000
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)


# `KEY="...` or `export KEY='...`: a value that opens a quote (python-dotenv lets a quoted value span lines).
_OPENS_QUOTE = re.compile(r"""^\s*(?:export\s+)?([\w.-]+)\s*=\s*(["'])""")


def _unclosed_quote(text: str) -> tuple[str, str] | None:
    """(key, quote) when `text`, the source of a binding python-dotenv could not parse, opens a quoted value
    and its first line does not close it (a quote closed on that line with more text after it is another fault)."""
    opened = _OPENS_QUOTE.match(text)
    if not opened:
        return None
    key, quote = opened.group(1), opened.group(2)
    first_line = text[opened.end():].split("\n", 1)[0]
    closing = re.compile(r'(?<!\\)"' if quote == '"' else "'")
    return None if closing.search(first_line) else (key, quote)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a .env file; a line that is not KEY=value is an error naming the line, not a silent skip."""
    values: dict[str, str] = {}
    try:
        with path.open(encoding="utf-8") as stream:
            for binding in parse_stream(stream):
                if binding.error:
                    line = binding.original.line
                    unclosed = _unclosed_quote(binding.original.string)
                    if unclosed:
                        key, quote = unclosed
                        raise SettingsError(f"{path}:{line}", f"unclosed {quote} quote in the value of {key}",
                                            f"End the value with {quote} on this line (a quoted value spans lines "
                                            "only up to its closing quote)")
                    raise SettingsError(f"{path}:{line}", "this line is not KEY=value",
                                        "Fix or remove the line; quote values that contain spaces or #")
                if binding.key is not None:
                    values[binding.key] = binding.value or ""
    except UnicodeDecodeError:
        raise SettingsError(str(path), "the file is not UTF-8 text", "Save it as UTF-8") from None
    except OSError as exc:
        raise SettingsError(str(path), (exc.strerror or "cannot be read").lower(),
                            "Check the path, or leave the option out to read .env in this folder") from None
    return values


def load_settings(env_file: Path | None = Path(".env"), environ: Mapping[str, str] | None = None, *,
                  env_file_required: bool = False) -> Settings:
    """Build Settings from the .env file (if present) overlaid by the environment, which wins.

    `env_file_required`: the file was named on the command line, so a missing one is an error, not "no settings".
    """
    merged: dict[str, str] = {}
    if env_file is not None and (env_file_required or env_file.is_file()):
        merged.update(read_env_file(env_file))
    merged.update({k: v for k, v in (os.environ if environ is None else environ).items()
                   if k.startswith(("NUDGEBOT_", "DISCORD_", "SLACK_"))})
    return Settings(
        db_path=database_target(merged.get("NUDGEBOT_DB", "").strip() or "nudgebot.db"),
        rules_dirs=_rules_dirs(merged.get("NUDGEBOT_RULES_DIR", "")),
        student_number_pattern=_pattern(merged.get("NUDGEBOT_STUDENT_NUMBER_PATTERN", "")),
        discord_token=_secret(merged, "DISCORD_TOKEN"),
        slack_bot_token=_secret(merged, "SLACK_BOT_TOKEN", prefix="xoxb-"),
        slack_app_token=_secret(merged, "SLACK_APP_TOKEN", prefix="xapp-"),
        slack_signing_secret=_secret(merged, "SLACK_SIGNING_SECRET"),
        slack_mode=_choice(merged, "SLACK_MODE", ("socket", "http"), "socket"),
        committee_role=merged.get("NUDGEBOT_COMMITTEE_ROLE", "Committee").strip() or "Committee",
        nudge_window_hours=_whole(merged, "NUDGEBOT_NUDGE_WINDOW_HOURS", 24, 0, 24 * 30),
        escalation_threshold=_whole(merged, "NUDGEBOT_ESCALATION_THRESHOLD", 3, 2, 100),
        escalation_window_days=_whole(merged, "NUDGEBOT_ESCALATION_WINDOW_DAYS", 7, 1, 365),
        retention_days=_whole(merged, "NUDGEBOT_RETENTION_DAYS", 180, 1, 3650),
        keep_full_content=_flag(merged, "NUDGEBOT_KEEP_FULL_CONTENT", False),
        log_level=_choice(merged, "NUDGEBOT_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", upper=True),
        welfare_text=merged.get("NUDGEBOT_WELFARE_TEXT", "").strip() or DEFAULT_WELFARE_TEXT,
        inbox_memory=_whole(merged, "NUDGEBOT_INBOX_MEMORY", 2_000, 10, 1_000_000),
    )


def _rules_dirs(value: str) -> tuple[Path, ...]:
    dirs = tuple(Path(p.strip()).expanduser() for p in value.split(os.pathsep) if p.strip())
    for directory in dirs:
        if not directory.is_dir():
            raise SettingsError("NUDGEBOT_RULES_DIR", f"{directory} is not a directory",
                                "Point it at the folder holding your rule packs, or leave it empty")
    return dirs


def _pattern(value: str) -> str | None:
    if not value.strip():
        return None
    try:
        re.compile(value)
    except re.error as exc:
        raise SettingsError("NUDGEBOT_STUDENT_NUMBER_PATTERN", f"not a valid regular expression ({exc})",
                            r"Use a pattern such as \d{9}") from None
    return value


def _secret(values: Mapping[str, str], name: str, prefix: str = "") -> Secret | None:
    value = values.get(name, "").strip()
    if not value:
        return None
    if prefix and not value.startswith(prefix):
        # Never echo the value: a pasted token in an error message would leak it into logs and screenshots.
        raise SettingsError(name, f"does not look like a Slack token (it should start with {prefix})",
                            "Copy it again from the app's settings page")
    return Secret(value)


def _whole(values: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = values.get(name, "").strip()
    if not raw:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a whole number", f"Use a number from {low} to {high}") from None
    if not low <= number <= high:
        raise SettingsError(name, f"{number} is out of range", f"Use a number from {low} to {high}")
    return number


def _flag(values: Mapping[str, str], name: str, default: bool) -> bool:
    raw = values.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"{raw!r} is not true or false", "Use true or false")


def _choice(values: Mapping[str, str], name: str, options: tuple[str, ...], default: str, upper: bool = False) -> str:
    raw = values.get(name, "").strip()
    if not raw:
        return default
    value = raw.upper() if upper else raw.lower()
    if value not in options:
        raise SettingsError(name, f"{raw!r} is not one of {', '.join(options)}", f"Use one of {', '.join(options)}")
    return value
