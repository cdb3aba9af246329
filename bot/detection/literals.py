"""Finds literal strings at least one of which every match of a regex contains, so a cheap search can rule a
pattern out before the pattern itself runs (the prefilter idea of RE2 and Hyperscan, on Python's own parser).
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from bot.detection.pattern_safety import parsed

_MAX_LITERALS = 400  # beyond this a prefilter search costs about as much as the pattern
_MAX_PRODUCT = 200  # spellings multiplied out from adjacent items
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", sre.MAX_REPEAT))


def required_literals(pattern: str) -> frozenset[str] | None:
    """Strings one of which is a substring of every match of `pattern`, or None when none can be found.

    Only the positive, consuming parts of the pattern are read: a group that may be skipped, a character
    class or a look-around contributes nothing, so the answer is always safe (never rules out a real match).
    """
    tree = parsed(pattern)
    if tree is None:
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
    options = _requirements(items)
    if not options:
        return None
    return max(options, key=_score)


def _requirements(items: list[tuple[Any, Any]]) -> list[frozenset[str]]:
    """The literal sets the items of a sequence require, one of each set in every match.

    Adjacent items with a small, finite set of spellings ("ha" then "te|ve|s") are multiplied out into whole
    strings ("hate", "have", "has"), which are far more selective than their pieces.
    """
    options: list[frozenset[str]] = []
    product: set[str] = {""}

    def flush() -> None:
        if "" not in product:
            options.append(frozenset(product))

    for op, av in items:
        spellings = _exact(op, av)
        if spellings is not None and len(product) * len(spellings) <= _MAX_PRODUCT:
            product = {head + tail for head in product for tail in spellings}
            continue
        flush()
        product = set(spellings) if spellings is not None else {""}
        if spellings is None:
            found = _item(op, av)
            if found:
                options.append(found)
    flush()
    return options


def _exact(op: Any, av: Any) -> frozenset[str] | None:
    """Every string an item can match, when that is a small finite set (zero-width items match "")."""
    if op is sre.LITERAL:
        return frozenset({chr(av)})
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
        return frozenset({""})
    if op is sre.IN and len(av) <= 4 and all(kind is sre.LITERAL for kind, _ in av):
        return frozenset(chr(code) for _, code in av)
    if op is sre.SUBPATTERN:
        _group, add_flags, _del_flags, body = av
        return None if add_flags & re.IGNORECASE else _exact_sequence(list(body))
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            spellings = _exact_sequence(list(branch))
            if spellings is None:
                return None
            union.update(spellings)
            if len(union) > _MAX_PRODUCT:
                return None
        return frozenset(union)
    if op in _REPEATS:
        low, high, body = av
        spellings = _exact_sequence(list(body))
        if spellings is None or (low, high) not in ((0, 1), (1, 1)):
            return None
        return spellings | {""} if low == 0 else spellings
    return None


def _exact_sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    product: set[str] = {""}
    for op, av in items:
        spellings = _exact(op, av)
        if spellings is None or len(product) * len(spellings) > _MAX_PRODUCT:
            return None
        product = {head + tail for head in product for tail in spellings}
    return frozenset(product)


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


@lru_cache(maxsize=1024)
def literal_clauses(pattern: str) -> tuple[tuple[frozenset[str], ...], ...] | None:
    """Per top-level alternative of `pattern`, literal sets that a match of that alternative holds one of
    each (all the sets, not only the best; none for an alternative that needs nothing that can be told): a
    match of the pattern holds every set of at least one alternative. None when the pattern is unreadable or
    case-insensitive.

    `required_literals` gives one set for the whole pattern; a big alternation of lexicon words that every
    alternative also needs ("muslims|jews|...") then rules out little, while the other words an alternative
    needs beside it ("worth", "lives") rule out many messages that hold the lexicon word by chance. Cached: the
    loader asks while the pattern's parse tree is still at hand, the matcher asks again when it is built.
    """
    tree = parsed(pattern)
    if tree is None or tree.state.flags & re.IGNORECASE:
        return None
    clauses: list[tuple[frozenset[str], ...]] = []
    for branch in _alternatives(list(tree)):
        clauses.append(_conjunction(branch))
    return tuple(clauses)


def alternative_widths(pattern: str) -> tuple[int, ...] | None:
    """The length of the shortest match of each top-level alternative of `pattern` (as `literal_clauses`
    divides it), or None when the pattern is unreadable."""
    tree = parsed(pattern)
    if tree is None:
        return None
    try:
        return tuple(sre_parse.SubPattern(tree.state, branch).getwidth()[0] for branch in _alternatives(list(tree)))
    except (re.error, RecursionError, OverflowError):
        return None


def _alternatives(items: list[tuple[Any, Any]]) -> list[list[tuple[Any, Any]]]:
    """The top-level alternatives as whole sequences. Python's parser moves what all alternatives begin with
    (a `\\b`, a first letter) out in front of the alternation, so the first alternation in the sequence is
    split, each alternative with what stands before and after it."""
    for index, (op, av) in enumerate(items):
        if op is sre.BRANCH:
            return [[*items[:index], *branch, *items[index + 1:]] for branch in av[1]]
    return [items]


def _conjunction(items: list[tuple[Any, Any]]) -> tuple[frozenset[str], ...]:
    """Every literal set the items of a sequence require, each usable (not too many, no empty string)."""
    usable = (need for need in _requirements(items) if len(need) <= _MAX_LITERALS and "" not in need)
    return tuple(dict.fromkeys(usable))
