"""Errors a user can fix: each names what is wrong and how to fix it, and the CLI prints it in one line."""

from __future__ import annotations


class NudgebotError(Exception):
    """Base for errors a person can act on; `str()` is the one line the CLI prints."""

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
