"""Parses the text after `/incidents` into a typed request; bad input gets a usage line, never a guess."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.errors import InputError
from bot.models import IncidentQuery, IncidentStatus, Platform, ReviewAction

USAGE = (
    "`/incidents list [open|held|confirmed|dismissed|escalated|resolved|corrected] [clause 5.5.1] [@member] "
    "[#channel] [page N]` · `/incidents show ID` · "
    "`/incidents review ID confirm|dismiss|escalate|resolve|reopen [note]` · "
    "`/incidents export [csv|json] [filters as for list]` · `/incidents stats [days]`"
)
VERBS = ("list", "show", "review", "export", "stats", "help")
_PAGE_SIZE = 25
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_CHANNEL = re.compile(r"^<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>$")
_CLAUSE = re.compile(r"^\d+(?:\.\d+)+$")


@dataclass(frozen=True, slots=True)
class IncidentsRequest:
    """One `/incidents` request, parsed."""

    verb: str
    incident_id: int | None = None
    action: ReviewAction | None = None
    note: str = ""
    status: IncidentStatus | None = None
    clause: str | None = None
    author_id: str | None = None
    channel_id: str | None = None
    fmt: str = "csv"
    days: int = 30
    page: int = 1

    def query(self, community_id: str, *, export: bool = False) -> IncidentQuery:
        """The store query for `list` and `export` in this workspace."""
        limit = 10_000 if export else _PAGE_SIZE
        return IncidentQuery(platform=Platform.SLACK, community_id=community_id, status=self.status,
                             clause=self.clause, author_id=self.author_id, channel_id=self.channel_id,
                             limit=limit, offset=0 if export else (self.page - 1) * _PAGE_SIZE)

    def describe(self) -> str:
        """The filters in words, for the answer's heading."""
        parts = [f"status {self.status.value}" if self.status else "any status"]
        if self.clause:
            parts.append(f"clause {self.clause}")
        if self.author_id:
            parts.append(f"by <@{self.author_id}>")
        if self.channel_id:
            parts.append(f"in <#{self.channel_id}>")
        if self.verb == "list" and self.page > 1:
            parts.append(f"page {self.page}")
        return ", ".join(parts)

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """The (since, until) of `stats`."""
        return now - timedelta(days=self.days), now


def parse_incidents(text: str) -> IncidentsRequest:
    """Parse `/incidents ...`; raises InputError naming what is wrong and showing the usage."""
    words = text.split()
    if not words:
        return IncidentsRequest("help")
    verb, rest = words[0].lower(), words[1:]
    if verb not in VERBS:
        raise InputError(f"unknown sub-command {verb!r}. Use: {USAGE}")
    if verb == "help":
        return IncidentsRequest("help")
    if verb == "show":
        if len(rest) != 1:
            raise InputError("say which incident: `/incidents show 12`")
        return IncidentsRequest("show", incident_id=_incident_id(rest[0]))
    if verb == "review":
        if len(rest) < 2:
            raise InputError("say which incident and what to do: `/incidents review 12 confirm [note]`")
        try:
            action = ReviewAction(rest[1].lower())
        except ValueError:
            choices = "|".join(a.value for a in ReviewAction)
            raise InputError(f"{rest[1]!r} is not a review action: use {choices}") from None
        return IncidentsRequest("review", incident_id=_incident_id(rest[0]), action=action, note=" ".join(rest[2:]))
    if verb == "stats":
        if len(rest) > 1 or (rest and not rest[0].isdigit()) or (rest and not 1 <= int(rest[0]) <= 3650):
            raise InputError("stats takes a number of days from 1 to 3650: `/incidents stats 30`")
        return IncidentsRequest("stats", days=int(rest[0]) if rest else 30)
    return _filters(verb, rest)


def _incident_id(word: str) -> int:
    value = word.lstrip("#")
    if not value.isdigit():
        raise InputError(f"{word!r} is not an incident number: use the number from `/incidents list`")
    return int(value)


def _filters(verb: str, words: list[str]) -> IncidentsRequest:
    status = clause = author = channel = None
    fmt, page = "csv", 1
    position = 0
    while position < len(words):
        word, lowered = words[position], words[position].lower()
        position += 1
        if lowered in {s.value for s in IncidentStatus}:
            status = IncidentStatus(lowered)
        elif lowered == "held":  # "/incidents list held": the incidents held for review
            status = IncidentStatus.REVIEW
        elif lowered == "clause" and position < len(words):
            clause = words[position]
            position += 1
        elif _CLAUSE.match(word):
            clause = word
        elif lowered == "page" and position < len(words) and words[position].isdigit() and verb == "list":
            page = max(1, int(words[position]))
            position += 1
        elif verb == "export" and lowered in ("csv", "json"):
            fmt = lowered
        elif match := _USER.match(word):
            author = match.group(1)
        elif match := _CHANNEL.match(word):
            channel = match.group(1)
        else:
            raise InputError(f"{word!r} is not a filter I know. Use: {USAGE}")
    if clause is not None and not _CLAUSE.match(clause):
        raise InputError(f"{clause!r} is not a clause number such as 5.5.1")
    return IncidentsRequest(verb, status=status, clause=clause, author_id=author, channel_id=channel, fmt=fmt,
                            page=page)
