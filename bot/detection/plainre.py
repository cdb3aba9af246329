"""The `re` forms of rule patterns. `re` runs these large word alternations about three times faster than
`regex`, but has no timeout, so it is trusted only where the loader decided a pattern's safety structurally
(Python's parser reads it: no nested or ambiguous quantifiers, no backreferences). A pattern only `regex` runs
(a variable-width lookbehind) gets a wider `re` prefilter instead: the same pattern without its lookbehinds,
which matches wherever the pattern does, so a message it misses is skipped and `regex` starts where it hit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.detection.pattern_safety import structural_risk

_FLAGS = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE | re.ASCII


@dataclass(frozen=True, slots=True)
class PlainForm:
    """A pattern's `re` form: `exact` (its matches are the pattern's) or a wider prefilter."""

    compiled: re.Pattern[str]
    exact: bool


def plain_form(source: str, flags: int) -> PlainForm | None:
    """The `re` form of a `regex` pattern, or None when `re` can run neither it nor a prefilter of it.

    The structural check is made here again, not assumed: a rule built by hand never met the loader."""
    wanted = int(flags) & int(_FLAGS)
    try:
        if structural_risk(source) is None:
            return PlainForm(re.compile(source, wanted), True)
    except (re.error, ValueError, OverflowError, RecursionError):
        pass
    wider = without_lookbehinds(source)
    if wider is None or wider == source or structural_risk(wider) is not None:
        return None
    try:
        return PlainForm(re.compile(wider, wanted), False)
    except (re.error, ValueError, OverflowError, RecursionError):
        return None


def without_lookbehinds(source: str) -> str | None:
    """The pattern with every lookbehind `(?<=...)` / `(?<!...)` removed, which can only widen what it matches;
    None when a lookbehind sits inside a negative lookaround (removing it there would narrow the match)."""
    out: list[str] = []
    stack: list[tuple[bool, bool]] = []  # per open group: (is a lookbehind being dropped, negative context)
    dropping = 0  # depth inside dropped lookbehinds
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        piece = char
        if char == "\\":
            piece = source[i:i + 2]
        elif char == "[":
            end = class_end(source, i)
            piece = source[i:end]
        elif char == "(":
            negative = bool(stack and stack[-1][1])
            if source.startswith(("(?<=", "(?<!"), i):
                if negative:
                    return None
                stack.append((True, negative or source[i + 3] == "!"))
                dropping += 1
                i += 4
                continue
            stack.append((False, negative or source.startswith("(?!", i)))
        elif char == ")" and stack:
            dropped, _ = stack.pop()
            if dropped:
                dropping -= 1
                i += 1
                continue
        if not dropping:
            out.append(piece)
        i += len(piece)
    return "".join(out)


def class_end(source: str, start: int) -> int:
    """The index just past the character class opening at `start`."""
    i = start + 1
    if i < len(source) and source[i] == "^":
        i += 1
    if i < len(source) and source[i] == "]":
        i += 1
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i + 1
