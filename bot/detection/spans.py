"""Word-level spans: a reported match never starts or ends inside a word of the original text."""

from __future__ import annotations

import unicodedata

# Characters that join the letters of one word when letters stand on both sides: apostrophes, and the symbols
# people mask letters with ("f*ck", "sh!t", "@ss" is caught by its letters). Hyphens and dots separate words.
_JOINERS = frozenset("*'\u2019#$@%!")


def _is_letter(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _inside(text: str, position: int) -> bool:
    """Whether `position` (a boundary between text[position - 1] and text[position]) falls inside a word."""
    if position <= 0 or position >= len(text):
        return False
    left, right = text[position - 1], text[position]
    if _is_letter(left) and _is_letter(right):
        return True
    return _joined(text, position, left, right)


def _joined(text: str, position: int, left: str, right: str) -> bool:
    """A boundary inside a run of joiners with letters beyond both ends ("f*|*k")."""
    if not (left in _JOINERS or right in _JOINERS):
        return False
    before = position - 1
    while before >= 0 and text[before] in _JOINERS:
        before -= 1
    after = position
    while after < len(text) and text[after] in _JOINERS:
        after += 1
    return before >= 0 and after < len(text) and _is_letter(text[before]) and _is_letter(text[after])


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) of `text` until neither end falls inside a word."""
    if start >= end:
        return start, end
    while _inside(text, start):
        start -= 1
    while _inside(text, end):
        end += 1
    return start, end
