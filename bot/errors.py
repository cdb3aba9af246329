"""Errors a user can fix: each names what is wrong and how to fix it, and the CLI prints it in one line."""

from __future__ import annotations

import os
import socket
from pathlib import Path


class NudgebotError(Exception):
    """Base for errors a person can act on; `str()` is the one line the CLI prints.

    The exit code is 1, a command that failed; usage errors are 2 (see the README, "Exit codes").
    """

    exit_code = 1


def yaml_problem(exc: Exception, source: Path | None = None) -> str:
    """A YAML error in one line, located once: "not valid YAML at line 3: found undefined alias" (PyYAML's own
    text spans several lines, names "<unicode string>" rather than the file, and draws a caret). `source`, the
    file that was read, locates the errors PyYAML gives no line for (a control character)."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else _refused_character_line(exc, source)
    where = f" at line {line}" if line is not None else ""
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    return f"not valid YAML{where}: {problem}"


def _refused_character_line(exc: Exception, source: Path | None) -> int | None:
    """The line of the character YAML's reader refused (a NUL, a control character): its ReaderError gives
    only an offset, in characters from PyYAML and in bytes from libyaml. The reader stops at the first one, so
    the first of that character in the file is it."""
    character = getattr(exc, "character", None)
    if source is None or not isinstance(character, int) or not str(exc).startswith("unacceptable character"):
        return None  # not a refused character (a byte that is not UTF-8 names no character)
    try:
        text = source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    at = text.find(chr(character))
    return text.count("\n", 0, at) + 1 if at >= 0 else None


class UsageError(NudgebotError):
    """The command line asks for something impossible (an empty date range, a page of no rows): exit 2, as
    argparse exits on an unknown option."""

    exit_code = 2


class RulePackError(NudgebotError):
    """A rule pack could not be loaded: the message names the file, the rule id and the reason."""

    def __init__(self, path: str, reason: str, rule_id: str | None = None) -> None:
        self.path = path
        self.rule_id = rule_id
        self.reason = reason
        where = f"{path}: rule {rule_id!r}" if rule_id else path
        super().__init__(f"{where}: {reason}")


class InputError(NudgebotError):
    """Input to a command (a file, a line of JSON) is malformed."""


class NotCommittee(NudgebotError):
    """A committee action was asked for by someone who is not on this community's committee."""

    def __init__(self, action: str = "this") -> None:
        super().__init__(f"only committee members can use {action}: ask your committee, or check the committee "
                         "role / user group set with setup")


class UnknownIncident(NudgebotError):
    """No incident with this id (in the asker's community)."""

    def __init__(self, incident_id: int) -> None:
        self.incident_id = incident_id
        super().__init__(f"no incident #{incident_id}: list incidents to find the right number")


class ReviewError(NudgebotError):
    """A review step that cannot be taken (e.g. confirming a dismissed incident): the message says what can."""


class PlatformUnreachable(NudgebotError):
    """Discord or Slack could not be reached at start (no network, no DNS, a proxy or firewall in the way).

    Once connected, both bots ride out a lost network by themselves: this is only for the first connection, where
    retrying forever would hide a machine that is simply offline or a mistyped API address.
    """

    def __init__(self, platform: str, host: str, reason: str, setting: str = "") -> None:
        self.host = host
        also = f", and {setting}" if setting else ""
        super().__init__(f"cannot reach {platform} at {host} ({reason}): check that this machine is online and "
                         f"can look up and reach {host} (DNS, proxy, firewall){also}")


def connection_failure(error: OSError | None) -> str:
    """The operating system's words for a failed connection: "Name or service not known", "Connection refused"."""
    if error is None:
        return "no connection"
    if isinstance(error, socket.gaierror) or not error.errno:
        return error.strerror or str(error) or type(error).__name__
    return os.strerror(error.errno)
