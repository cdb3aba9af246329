"""The one reading of `--since` and `--until` that every command shares: both ends include the day they name.

`--since 2026-11-01` starts at that day's first moment and `--until 2026-11-20` ends after that day's last one, in
UTC; an ISO time is taken to the microsecond, and "30d", "12h" or "4w" means that long before now. The store
reads a range as [since, until), so `until_moment` returns the first moment *after* the range.
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime, timedelta

from bot.errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*([hdw])$", re.IGNORECASE)
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
FORMS = "YYYY-MM-DD, an ISO time such as 2026-11-01T18:00, or 30d / 12h / 4w ago"


def _parse(value: str, *, now: datetime | None) -> tuple[datetime, bool]:
    """The moment `value` names, and whether it named a whole day."""
    text = value.strip()
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: amount}), False
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=UTC), True
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: use {FORMS}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC), False


def since_moment(value: str, now: datetime | None = None) -> datetime:
    """`--since`: the first moment of the range (a day from its start)."""
    return _parse(value, now=now)[0]


def until_moment(value: str, now: datetime | None = None) -> datetime:
    """`--until`: the first moment after the range, so that the day or the moment named is included."""
    moment, whole_day = _parse(value, now=now)
    return moment + (timedelta(days=1) if whole_day else timedelta(microseconds=1))


def add_range_options(parser: argparse.ArgumentParser, what: str = "incidents") -> None:
    """`--since` and `--until`, read the same way by every command."""
    parser.add_argument("--since", type=since_moment, default=None, metavar="WHEN",
                        help=f"only {what} from then on ({FORMS}; UTC)")
    parser.add_argument("--until", type=until_moment, default=None, metavar="WHEN",
                        help=f"only {what} up to then, that whole day included for a date (same forms)")


def check_range(since: datetime | None, until: datetime | None) -> None:
    """An empty range is a usage error, not an empty answer."""
    if since is not None and until is not None and since >= until:
        raise UsageError("--since must be before --until")
