"""Folds chat text into a plain lowercase form for matching, keeping a map back to the original characters.

The folding undoes the usual evasions: compatibility forms and fullwidth or mathematical letters (NFKD),
accents and combining-mark floods, zero-width and other format characters, Cyrillic and Greek look-alikes (the
Unicode confusables table shipped by `confusable-homoglyphs`), leetspeak inside words ("h4te", "$hit"), letters
stretched three or more times ("fuuuuck" keeps two: "fuuck"; the scanner tries the single-letter form), and
letters split by spaces or punctuation ("f u c k", "f.u.c.k"). Every character of the folded text remembers the
span of the original it came from, so a match is always reported on the original text.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Leetspeak digits and symbols, folded only inside a word that also has letters ("sh1t", "h4te", "@ss").
LEET = {"4": "a", "@": "a", "8": "b", "3": "e", "6": "g", "9": "g", "1": "i", "!": "i", "|": "l", "0": "o",
        "5": "s", "$": "s", "7": "t", "+": "t", "2": "z"}
_LEET_CHARS = "".join(re.escape(c) for c in LEET)
# A word with leetspeak: letters mixed with leet characters. A symbol only counts where a letter follows it
# ("$hit", "sh!t"), so "hi!" and "$5" stay as they are.
_LEET_WORD = re.compile(rf"(?:[a-z0-9]|[{_LEET_CHARS}](?=[a-z0-9]))+")
_HAS_LETTER = re.compile(r"[a-z]")
_HAS_LEET = re.compile(rf"[{_LEET_CHARS}]")
_STRETCHED = re.compile(r"([a-z])\1{2,}")
# Three or more single letters each split by one or two separators: "f u c k", "k.i.l.l", "b-i-t-c-h".
_SPACED = re.compile(r"(?<![a-z0-9'])[a-z](?:[\s._\-*~,/\\]{1,2}[a-z](?![a-z0-9'])){2,}")
_SPACED_LETTER = re.compile(r"[a-z]")
# Where a digit or symbol is leetspeak and not a time, ordinal or unit ("7pm", "2nd", "10k", "mp3"): between
# letters ("h4te", "sh1t"), a $ or @ starting a word ("$hit", "@ss"), a digit starting a longer word ("5hit"),
# or one digit ending a word of three letters or more ("muzzi3"; "mp3" has too few letters).
_LEET_SHAPE = re.compile(
    rf"[A-Za-z][0-9{_LEET_CHARS}]+[A-Za-z]|(?<![A-Za-z0-9])[$@][A-Za-z]|(?<![A-Za-z0-9.,:])[0-9][A-Za-z]{{3,}}"
    rf"|(?<![A-Za-z0-9])[A-Za-z]{{3,}}[0-9$](?![A-Za-z0-9.,:])"
)
# Cheap tests that most chat fails, each starting with a character class so the regex engine skips quickly to
# the few candidate positions. A leet character next to letters in one of the leetspeak shapes (read from the
# leet character, so "7pm", "2nd" and "co1104" fail at once), and a single letter between separators followed
# by another single letter (every spaced-out run has one). Only when one passes do the exact tests run.
_LEET_HINT = re.compile(rf"[0-9{_LEET_CHARS}](?:(?<=[a-z][0-9{_LEET_CHARS}])[0-9{_LEET_CHARS}]*[a-z]"
                        rf"|(?<=[$@])[a-z]|(?<=[0-9])[a-z]{{3}}|(?<=[a-z]{{3}}[0-9$]))")
_SPACED_HINT = re.compile(r"[\s._\-*~,/\\][a-z][\s._\-*~,/\\]{1,2}[a-z](?![a-z0-9'])")
_STRETCHED_HINT = re.compile(r"([a-z])\1\1")
_ANY_LEET = re.compile(rf"[0-9{_LEET_CHARS}]")
# Look-alikes people use that the confusables table maps elsewhere or not at all (Greek epsilon, kappa, nu...).
_EXTRA_LOOKALIKES = {"\u03b5": "e", "\u0454": "e", "\u03b9": "i", "\u03ba": "k", "\u03bd": "v", "\u03c4": "t",
                     "\u03c7": "x", "\u03b7": "n", "\u03c9": "w", "\u2202": "d", "\u0491": "r", "\u0431": "b",
                     "\u043a": "k", "\u043c": "m", "\u043d": "h", "\u0442": "t", "\u0433": "r", "\u0438": "u"}
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u0060": "'", "\u00b4": "'"}


@dataclass(frozen=True, slots=True)
class Normalized:
    """The folded text of a message and the way back to the original.

    `starts[i]` and `ends[i]` give the span of the original that produced `text[i]`; both are None when the
    folding kept every position (plain ASCII that only needed lowercasing).
    """

    original: str
    text: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None
    # True when only character folding changed positions: the map is then built from `original` on first
    # use, which most messages (an emoji with a variation selector, and no match) never need.
    deferred: bool = False
    # Spans of `text` made by joining letters split by spaces or punctuation ("f u c k" to "fuck"): a match
    # found there rests on weaker evidence (the judge lowers it to the review tier).
    spaced_joins: tuple[tuple[int, int], ...] = ()

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a span [start, end) of the folded text to the span of the original it came from."""
        if self.deferred and self.starts is None:
            starts, ends = _irregular_map(self.original)
            object.__setattr__(self, "starts", tuple(starts))
            object.__setattr__(self, "ends", tuple(ends))
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            pos = self.starts[start] if start < len(self.starts) else len(self.original)
            return pos, pos
        return self.starts[start], self.ends[end - 1]


@lru_cache(maxsize=1)
def _homoglyph_table() -> dict[str, str]:
    """Non-ASCII look-alikes of Latin letters, from the Unicode confusables data, mapped to the letter."""
    # Imported here: loading the table (and the urllib/email/ssl modules the package imports) is most of a
    # `nudgebot scan` start, and only a message with a non-ASCII character needs it.
    from confusable_homoglyphs import confusables

    table: dict[str, str] = dict(_EXTRA_LOOKALIKES)
    letters = set(string.ascii_letters)
    for char, glyphs in confusables.confusables_data.items():
        if len(char) != 1:
            continue
        if char in letters:
            for glyph in glyphs:
                look_alike = glyph["c"]
                if len(look_alike) == 1 and not look_alike.isascii():
                    table.setdefault(look_alike, char.lower())
        elif not char.isascii():
            for glyph in glyphs:
                if len(glyph["c"]) == 1 and glyph["c"] in letters:
                    table.setdefault(char, glyph["c"].lower())
                    break
    return table


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    """Fold one non-ASCII character to what it looks like in plain lowercase text ("" to drop it)."""
    if char in _APOSTROPHES:
        return "'"
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me", "Cc", "Cs", "Co", "Cn") and not char.isspace():
        return ""  # zero-width, direction marks, combining marks, controls, unassigned
    table = _homoglyph_table()
    if char in table:
        return table[char]
    out = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.category(part) in ("Mn", "Me", "Cf"):
            continue
        if part.isascii():
            out.append(part.lower())
        else:
            out.append(table.get(part, part.casefold()))
    return "".join(out)


def normalize(text: str, *, squeeze_stretched: bool = True) -> Normalized:
    """Fold `text` for matching; see the module docstring for what is undone.

    The scanner passes `squeeze_stretched=False`: for plain ASCII text it re-spells stretched words against
    the rules' vocabulary itself, which knows that "gooood" is "good" and "fuuuuck" is "fuck".
    """
    starts: list[int] | None = None
    ends: list[int] | None = None
    if text.isascii():
        folded = text.lower()
        if not _needs_work(folded, squeeze_stretched):
            return Normalized(text, folded)
    else:
        squeeze_stretched = True  # only ASCII words are re-spelled by the scanner
        folded = text.translate(_FOLD_TABLE)
        irregular = not _IRREGULAR.isdisjoint(text)  # some character folded to none or to several
        if not _needs_work(folded, True):
            return Normalized(text, folded, deferred=irregular)
        if irregular:
            starts, ends = _irregular_map(text)
    folded = _fold_leet(folded)
    if squeeze_stretched:
        folded, starts, ends = _squeeze_stretched(folded, starts, ends)
    folded, starts, ends, joins = _join_spaced_letters(folded, starts, ends)
    if starts is None or ends is None:
        return Normalized(text, folded, spaced_joins=joins)
    return Normalized(text, folded, tuple(starts), tuple(ends), spaced_joins=joins)


def fold(text: str) -> str:
    """`normalize(text).text` alone: plain ASCII that only needs lowercasing builds no `Normalized` (the judge
    folds the words around each match with it)."""
    if text.isascii():
        folded = text.lower()
        if not _needs_work(folded, True):
            return folded
    return normalize(text).text


def fold_plain(text: str) -> str | None:
    """The folded text when folding kept every position in place (most chat: lowercased, look-alikes folded,
    nothing dropped, joined or squeezed), else None and the caller uses `normalize`.

    The scanner's fast path: the same text `normalize(text, squeeze_stretched=False)` gives, with no map and
    no object built.
    """
    if text.isascii():
        folded = text.lower()
        return None if _needs_work(folded, False) else folded
    folded = text.translate(_FOLD_TABLE)
    if not _IRREGULAR.isdisjoint(text) or _needs_work(folded, True):
        return None
    return folded


def _needs_work(folded: str, squeeze_stretched: bool) -> bool:
    """True when folded text has leetspeak, spaced-out letters or (if asked) stretched letters to fold."""
    if _LEET_HINT.search(folded) and _LEET_SHAPE.search(folded):
        return True
    if _SPACED_HINT.search(folded) and _SPACED.search(folded):
        return True
    return squeeze_stretched and _STRETCHED_HINT.search(folded) is not None


def _irregular_map(text: str) -> tuple[list[int], list[int]]:
    """The original span of each folded character, for text where some characters fold to none or to several.

    Only non-ASCII characters can be irregular, so only they are visited; the runs between are copied as ranges.
    """
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for found in _NON_ASCII.finditer(text):
        char = found.group()
        if char not in _IRREGULAR:
            continue
        index = found.start()
        starts.extend(range(last, index))
        ends.extend(range(last + 1, index + 1))
        width = len(_FOLD_TABLE[ord(char)])
        starts.extend([index] * width)
        ends.extend([index + 1] * width)
        last = index + 1
    starts.extend(range(last, len(text)))
    ends.extend(range(last + 1, len(text) + 1))
    return starts, ends


class _FoldTable(dict[int, str]):
    """str.translate table that folds each character on first sight and remembers the irregular ones."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char.lower() if code < 128 else _fold_char(char)
        if len(folded) != 1:
            _IRREGULAR.add(char)
        self[code] = folded
        return folded


_IRREGULAR: set[str] = set()
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_FOLD_TABLE = _FoldTable()


def _fold_leet(text: str) -> str:
    """Replace leet characters inside words shaped like leetspeak; the length does not change."""
    if not _ANY_LEET.search(text):
        return text
    chars: list[str] | None = None
    for match in _LEET_WORD.finditer(text):
        word = match.group()
        if not _HAS_LETTER.search(word) or not _HAS_LEET.search(word) or not _LEET_SHAPE.search(word):
            continue
        if chars is None:
            chars = list(text)
        for offset, char in enumerate(word):
            if char in LEET:
                chars[match.start() + offset] = LEET[char]
    return "".join(chars) if chars is not None else text


def _identity(length: int) -> tuple[list[int], list[int]]:
    return list(range(length)), list(range(1, length + 1))


def _squeeze_stretched(text: str, starts: list[int] | None,
                       ends: list[int] | None) -> tuple[str, list[int] | None, list[int] | None]:
    """Keep two of any letter repeated three or more times; the second covers the whole stretched run."""
    if not _STRETCHED.search(text):
        return text, starts, ends
    if starts is None or ends is None:
        starts, ends = _identity(len(text))
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    last = 0
    for match in _STRETCHED.finditer(text):
        begin, finish = match.span()
        out.append(text[last:begin])
        new_starts.extend(starts[last:begin])
        new_ends.extend(ends[last:begin])
        letter = match.group(1)
        out.append(letter * 2)
        new_starts.extend((starts[begin], starts[begin + 1]))
        new_ends.extend((ends[begin], ends[finish - 1]))
        last = finish
    out.append(text[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return "".join(out), new_starts, new_ends


def _join_spaced_letters(text: str, starts: list[int] | None, ends: list[int] | None
                         ) -> tuple[str, list[int] | None, list[int] | None, tuple[tuple[int, int], ...]]:
    """Join runs of single letters split by separators ("f u c k" becomes "fuck"); also returns the joined
    spans of the new text."""
    if not _SPACED.search(text):
        return text, starts, ends, ()
    if starts is None or ends is None:
        starts, ends = _identity(len(text))
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    joins: list[tuple[int, int]] = []
    last = 0
    for match in _SPACED.finditer(text):
        begin, finish = match.span()
        out.append(text[last:begin])
        new_starts.extend(starts[last:begin])
        new_ends.extend(ends[last:begin])
        joined_from = len(new_starts)
        for letter in _SPACED_LETTER.finditer(text, begin, finish):
            out.append(letter.group())
            new_starts.append(starts[letter.start()])
            new_ends.append(ends[letter.start()])
        joins.append((joined_from, len(new_starts)))
        last = finish
    out.append(text[last:])
    new_starts.extend(starts[last:])
    new_ends.extend(ends[last:])
    return "".join(out), new_starts, new_ends, tuple(joins)
