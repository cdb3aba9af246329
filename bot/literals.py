"""Finds literal strings at least one of which every match of a regex contains, so a cheap search can rule a
pattern out before the pattern itself runs (the prefilter idea of RE2 and Hyperscan, on Python's own parser).
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

_MAX_LITERALS = 400  # beyond this a prefilter search costs about as much as the pattern
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which is a substring of every match of `pattern`, or None when none can be found.

    Only the positive, consuming parts of the pattern are read: a group that may be skipped, a character
    class or a look-around contributes nothing, so the answer is always safe (never rules out a real match).
    """
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, ValueError):
        return None
    if tree.state.flags & re.IGNORECASE:
        return None
    found = _sequence(list(tree))
    if not found or len(found) > _MAX_LITERALS or "" in found:
        return None
    return frozenset(found)


def _score(literals: frozenset[str]) -> tuple[int, int]:
    """Longer shortest strings and fewer of them make a more selective prefilter."""
    return min(len(s) for s in literals), -len(literals)


def _sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Every item of a sequence must match, so the best-scoring requirement among them will do."""
    options: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            options.append(frozenset({"".join(run)}))
            run = []
        found = _item(op, av)
        if found:
            options.append(found)
    if run:
        options.append(frozenset({"".join(run)}))
    if not options:
        return None
    return max(options, key=_score)


def _item(op: Any, av: Any) -> frozenset[str] | None:
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, body = av
        if add_flags & re.IGNORECASE:
            return None
        return _sequence(list(body))
    if op is getattr(sre, "ATOMIC_GROUP", None):
        return _sequence(list(av))
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            found = _sequence(list(branch))
            if not found:
                return None
            union.update(found)
            if len(union) > _MAX_LITERALS:
                return None
        return frozenset(union)
    if op in _REPEATS:
        low, _high, body = av
        return _sequence(list(body)) if low >= 1 else None
    return None
