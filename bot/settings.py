"""Reads `.env` and the environment into one typed, validated Settings object; secrets never show in a repr."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

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
class Variable:
    """One environment variable of the table below: how it is read, and the words `.env.example` and the README's
    table show for it (`bot.settings_docs` writes both from this table)."""

    name: str
    section: str
    parse: Callable[[str, str, Any], Any]  # (variable, raw text, the field's default) -> the value
    doc: str  # the README's "What it does"
    comment: tuple[str, ...]  # the lines `.env.example` explains it with
    default_text: str = ""  # the README's "Default" when not simply the default itself
    example: str | None = None  # the value `.env.example` shows (None: from the default)
    commented_out: bool = False  # shown in `.env.example` as `# NAME=example`, not set
    secret: bool = False  # a token or signing secret: a Secret, never shown in logs, errors or reprs


def _about(variable: Variable) -> dict[str, Variable]:
    """A Settings field's metadata: the variable it is read from."""
    return {"variable": variable}


def _text(_name: str, raw: str, default: Any) -> Any:
    return raw.strip() or default


def _database(_name: str, raw: str, default: Any) -> Any:
    return database_target(raw.strip() or default)


def _rules_dirs(name: str, raw: str, _default: Any) -> tuple[Path, ...]:
    dirs = tuple(Path(p.strip()).expanduser() for p in raw.split(os.pathsep) if p.strip())
    for directory in dirs:
        if not directory.is_dir():
            raise SettingsError(name, f"{directory} is not a directory",
                                "Point it at the folder holding your rule packs, or leave it empty")
    return dirs


def _pattern(name: str, raw: str, default: Any) -> Any:
    if not raw.strip():
        return default
    try:
        re.compile(raw)
    except re.error as exc:
        raise SettingsError(name, f"not a valid regular expression ({exc})", r"Use a pattern such as \d{9}") from None
    return raw


def _secret(prefix: str = "") -> Callable[[str, str, Any], Secret | None]:
    def parse(name: str, raw: str, _default: Any) -> Secret | None:
        value = raw.strip()
        if not value:
            return None
        if prefix and not value.startswith(prefix):
            # Never echo the value: a pasted token in an error message would leak it into logs and screenshots.
            raise SettingsError(name, f"does not look like a Slack token (it should start with {prefix})",
                                "Copy it again from the app's settings page")
        return Secret(value)

    return parse


def _whole(low: int, high: int) -> Callable[[str, str, Any], int]:
    def parse(name: str, raw: str, default: Any) -> int:
        raw = raw.strip()
        if not raw:
            return int(default)
        try:
            number = int(raw)
        except ValueError:
            raise SettingsError(name, f"{raw!r} is not a whole number", f"Use a number from {low} to {high}") from None
        if not low <= number <= high:
            raise SettingsError(name, f"{number} is out of range", f"Use a number from {low} to {high}")
        return number

    return parse


def _flag(name: str, raw: str, default: Any) -> bool:
    raw = raw.strip().lower()
    if not raw:
        return bool(default)
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"{raw!r} is not true or false", "Use true or false")


def _choice(*options: str, upper: bool = False) -> Callable[[str, str, Any], str]:
    def parse(name: str, raw: str, default: Any) -> str:
        raw = raw.strip()
        if not raw:
            return str(default)
        value = raw.upper() if upper else raw.lower()
        if value not in options:
            raise SettingsError(name, f"{raw!r} is not one of {', '.join(options)}",
                                f"Use one of {', '.join(options)}")
        return value

    return parse


_STORAGE, _DETECTION, _DISCORD, _SLACK = "Storage", "Detection", "Discord", "Slack"
_MODERATION, _LOGGING = "Committee and moderation", "Logging"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything nudgebot is configured with: the one table of its environment variables (each field's
    `Variable`), from which the loader, `.env.example` and the README's table all come."""

    # An SQLite file, or a postgresql:// URL (kept as text).
    db_path: DatabaseTarget = field(default=Path("nudgebot.db"), metadata=_about(Variable(
        "NUDGEBOT_DB", _STORAGE, _database,
        "the incident store (incidents, audit trail, escalations, community settings): an SQLite file, created "
        "readable by its owner only, or a `postgresql://user:password@host:5432/db` URL for a store several "
        "processes and machines share (docs/deployment.md); `~` is your home folder. Leave it out of the file given "
        "to `docker run --env-file`: the image keeps it on its volume, `/data/nudgebot.db`",
        ("SQLite database holding incidents, their audit trail, escalations and community settings (created 0600:",
         "readable by this user only). Default: nudgebot.db in the working directory; ~ means your home folder.",
         "Left unset on purpose: the Docker image sets /data/nudgebot.db, on its volume, and `docker run --env-file "
         ".env`",
         "would let a value here override it (a relative path would put the database in the container, lost with "
         "it).",
         "Or a PostgreSQL server several processes share: postgresql://nudgebot:PASSWORD@db.example:5432/nudgebot",
         "Outside Docker, uncomment and set it if you want the database somewhere else:"),
        example="~/nudgebot/nudgebot.db", commented_out=True)))
    rules_dirs: tuple[Path, ...] = field(default=(), metadata=_about(Variable(
        "NUDGEBOT_RULES_DIR", _DETECTION, _rules_dirs,
        "your committee's own rule-pack folders, `:`-separated, loaded after the built-in ones",
        ("Extra rule-pack folders (your committee's own YAML packs), loaded after the built-in rules/.",
         'Several folders are separated by ":" (";" on Windows). Each must exist. Default: none.'))))
    student_number_pattern: str | None = field(default=None, metadata=_about(Variable(
        "NUDGEBOT_STUDENT_NUMBER_PATTERN", _DETECTION, _pattern,
        "regular expression for a student number (5.5.5)",
        ("Regular expression for a student number (clause 5.5.5). Default: nine digits.",),
        default_text="nine digits")))
    discord_token: Secret | None = field(default=None, metadata=_about(Variable(
        "DISCORD_TOKEN", _DISCORD, _secret(), "Discord bot token (`nudgebot discord`)",
        ("Bot token from the Discord developer portal (Bot > Reset Token). Needed for `nudgebot discord`.",),
        secret=True)))
    slack_bot_token: Secret | None = field(default=None, metadata=_about(Variable(
        "SLACK_BOT_TOKEN", _SLACK, _secret("xoxb-"), "Slack bot token, `xoxb-…` (`nudgebot slack`)",
        ("Bot User OAuth Token (starts with xoxb-). Needed for `nudgebot slack`.",), secret=True)))
    slack_app_token: Secret | None = field(default=None, metadata=_about(Variable(
        "SLACK_APP_TOKEN", _SLACK, _secret("xapp-"), "Slack app-level token, `xapp-…` (Socket Mode)",
        ("App-level token with connections:write (starts with xapp-). Needed in socket mode.",), secret=True)))
    slack_signing_secret: Secret | None = field(default=None, metadata=_about(Variable(
        "SLACK_SIGNING_SECRET", _SLACK, _secret(), "Slack signing secret (HTTP mode)",
        ("Signing secret (Basic Information > App Credentials). Needed in http mode.",), secret=True)))
    slack_mode: str = field(default="socket", metadata=_about(Variable(
        "SLACK_MODE", _SLACK, _choice("socket", "http"), "`socket` or `http`",
        ("How Slack reaches nudgebot: socket (no public URL needed) or http (Events API). Default: socket.",))))
    slack_client_id: str | None = field(default=None, metadata=_about(Variable(
        "SLACK_CLIENT_ID", _SLACK, _text, "the app's Client ID (`nudgebot slack --oauth`)",
        ("OAuth mode (`nudgebot slack --oauth`, many workspaces, HTTP), instead of SLACK_BOT_TOKEN: the app's",
         "Client ID (Basic Information > App Credentials). SLACK_SIGNING_SECRET is needed too."))))
    slack_client_secret: Secret | None = field(default=None, metadata=_about(Variable(
        "SLACK_CLIENT_SECRET", _SLACK, _secret(), "the app's Client Secret (`--oauth`)",
        ("OAuth mode: the app's Client Secret (Basic Information > App Credentials).",), secret=True)))
    slack_state_secret: Secret | None = field(default=None, metadata=_about(Variable(
        "SLACK_STATE_SECRET", _SLACK, _secret(), "your own random value keying the stored OAuth states (`--oauth`)",
        ("OAuth mode: a long random value of your own that keys the stored OAuth states",
         "(python3 -c 'import secrets; print(secrets.token_hex(32))')."), secret=True)))
    slack_redirect_uri: str | None = field(default=None, metadata=_about(Variable(
        "SLACK_REDIRECT_URI", _SLACK, _text,
        "the redirect URL to send Slack, only when the app has several (`--oauth`)",
        ("Only when the app has several Redirect URLs: the one to use (https://YOUR-HOST/slack/oauth_redirect).",))))
    committee_role: str = field(default="Committee", metadata=_about(Variable(
        "NUDGEBOT_COMMITTEE_ROLE", _MODERATION, _text,
        "Discord role of the committee until `/nudgebot setup` names one",
        ("Name (or id) of the Discord role whose members are the committee, until a committee runs setup. "
         "Default: Committee.",))))
    nudge_window_hours: int = field(default=24, metadata=_about(Variable(
        "NUDGEBOT_NUDGE_WINDOW_HOURS", _MODERATION, _whole(0, 24 * 30),
        "at most one nudge per person per clause in this many hours (later breaches are still recorded)",
        ("At most one private nudge per person per clause in this many hours; later breaches are still recorded.",
         "0 turns the limit off. Range 0-720. Default: 24."))))
    escalation_threshold: int = field(default=3, metadata=_about(Variable(
        "NUDGEBOT_ESCALATION_THRESHOLD", _MODERATION, _whole(2, 100),
        "hostile incidents from one author toward one member that open an escalation…",
        ("Cyberbullying (4.3): this many hostile incidents from one author toward one member ...  Range 2-100. "
         "Default: 3.",))))
    escalation_window_days: int = field(default=7, metadata=_about(Variable(
        "NUDGEBOT_ESCALATION_WINDOW_DAYS", _MODERATION, _whole(1, 365), "…within this many days",
        ("... within this many days opens an escalation for the committee. Range 1-365. Default: 7.",))))
    retention_days: int = field(default=180, metadata=_about(Variable(
        "NUDGEBOT_RETENTION_DAYS", _MODERATION, _whole(1, 3650),
        "days excerpts and content are kept before the purge (communities without their own)",
        ("Days an incident's excerpt (and full content, if kept) is kept before the daily purge clears it; the",
         "metadata stays. Default for communities that have not chosen their own. Range 1-3650. Default: 180."))))
    keep_full_content: bool = field(default=False, metadata=_about(Variable(
        "NUDGEBOT_KEEP_FULL_CONTENT", _MODERATION, _flag,
        "keep the full text of incidents (communities without their own choice)",
        ("Keep the full text of breaching messages (true/false), for communities that have not chosen. Default: "
         "false:", "only a masked excerpt is stored."))))
    welfare_text: str = field(default=DEFAULT_WELFARE_TEXT, metadata=_about(Variable(
        "NUDGEBOT_WELFARE_TEXT", _MODERATION, _text, "the private support message",
        ("The private message sent to someone whose message suggests they may be struggling or being harassed.",
         "Default: a pointer to the Students' Union Advice Service and Samaritans (116 123). Quote it: it has spaces",
         "(but not in a file for `docker run --env-file`, which keeps quotes as part of the value)."),
        default_text="Advice Service and Samaritans 116 123", example="")))
    inbox_memory: int = field(default=2_000, metadata=_about(Variable(
        "NUDGEBOT_INBOX_MEMORY", _MODERATION, _whole(10, 1_000_000),
        "messages waiting for moderation kept in memory; a flood beyond it waits in `nudgebot.inbox.db`",
        ("Messages waiting for moderation kept in memory; a flood beyond this waits in a spool file beside the "
         "database", "(nudgebot.inbox.db), and anything still waiting at stop is moderated at the next start. "
         "About 1 KB each.", "Range 10-1000000. Default: 2000."))))
    log_level: str = field(default="INFO", metadata=_about(Variable(
        "NUDGEBOT_LOG_LEVEL", _LOGGING, _choice("DEBUG", "INFO", "WARNING", "ERROR", upper=True),
        "message text is logged only at `DEBUG`",
        ("DEBUG, INFO, WARNING or ERROR. Message text is logged only at DEBUG; tokens never. Default: INFO.",))))
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)


def variables() -> list[tuple[str, Variable]]:
    """(Settings field, its Variable) in the table's order."""
    return [(f.name, f.metadata["variable"]) for f in fields(Settings) if "variable" in f.metadata]


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
    defaults = {f.name: f.default for f in fields(Settings)}
    return Settings(**{name: variable.parse(variable.name, merged.get(variable.name, ""), defaults[name])
                       for name, variable in variables()})
