"""Finds slurs and insults written with masked letters ("n*ggers", "f🌈ggot", "p#ki"), with spans on the original.

The normaliser already folds leetspeak ("sh1t"), spacing ("f u c k") and look-alike letters. What it cannot
undo is a character that stands for a letter without looking like one: an asterisk, a hash, an emoji, a symbol.
Such a word reaches the scanner split in two ("n", "ggers"), so half of it may even match something else. This
module reads the original text instead: a word with a masked character inside it becomes a little pattern (each
run of masks stands for one or two letters), tried against the words the rules list. A candidate that could
also be an ordinary English word ("d*ck" may be "deck", "sh*t" may be "shot") is ambiguous, and the scanner
holds it for review rather than nudging.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from bot.detection.message import Message, Raw
from bot.detection.model import Rule
from bot.models import RuleEffect, Tier

# Characters that may stand inside a word for a letter: symbols, digits and emoji. Dots, dashes and commas are
# the normaliser's business (they also end sentences and join words), and quotes and brackets are never masks.
_NOT_MASKS = frozenset(" \t\r\n'\"`,;:.()[]{}<>/\\-\u2019\u2018\u201c\u201d")
_MAX_WORD = 24
_MIN_LETTERS = 2


@dataclass(frozen=True, slots=True)
class MaskedHit:
    """A masked word of the original text [start, end), the listed word it spells, and whether only that word fits."""

    start: int
    end: int
    word: str
    unambiguous: bool


def _is_mask(char: str) -> bool:
    if char in _NOT_MASKS or char.isspace():
        return False
    if char.isdigit():
        return True
    category = unicodedata.category(char)
    # Symbols (S*), other punctuation (Po: * # ! % @ &), and the joiners and selectors inside emoji sequences.
    return category[0] == "S" or category in ("Po", "Cf", "Mn", "Me") or char == "_"


def _is_letter(char: str) -> bool:
    return "a" <= char <= "z"


class MaskedLexicon:
    """The listed words (slurs, insults) and the English words that make a masked reading ambiguous."""

    __slots__ = ("_english", "_english_words", "_listed")

    def __init__(self, words: Iterable[str], english: Iterable[str]) -> None:
        self._listed = _index(w for w in words if w.isalpha() and w.isascii())
        # The English index is built on the first masked word that spells a listed one: the word set itself is
        # shared with the re-speller, so the scanner cache stores it once and most runs never build the index.
        self._english_words = frozenset(english)
        self._english: Mapping[tuple[int, str], str] | None = None

    @staticmethod
    def hinted(text: str) -> bool:
        """Cheap: is there a character that could be a mask between two letters? Most chat has none."""
        return _HINT.search(text) is not None

    def find(self, text: str) -> list[MaskedHit]:
        """Every masked word of `text` that spells a listed word, with its span in `text`."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a case mapping that changes length would shift every span: read as is
            lowered = text
        hits: list[MaskedHit] = []
        for start, end in _candidates(lowered):
            shape = _shape(lowered[start:end])
            if shape is None:
                continue
            pattern, first, shortest, longest = shape
            listed = _matches(self._listed, pattern, first, shortest, longest)
            if not listed:
                continue
            if self._english is None:
                self._english = _index(w for w in self._english_words if w.isalpha() and w.isascii())
            english = _matches(self._english, pattern, first, shortest, longest, exclude=set(listed))
            hits.append(MaskedHit(start, end, listed[0], unambiguous=len(listed) == 1 and not english))
        return hits


_HINT = re.compile(r"[a-z][^\sa-z'\",;:.()\[\]{}<>/\\\-]{1,6}[a-z]", re.IGNORECASE)


def _index(words: Iterable[str]) -> Mapping[tuple[int, str], str]:
    """Words by (length, first letter), the two things a masked word's shape narrows first; each group is one
    string of its words in sorted order, a word a line, so a shape is tried on the whole group in one search."""
    table: dict[tuple[int, str], set[str]] = {}
    for word in words:
        table.setdefault((len(word), word[0]), set()).add(word)
    return {key: "\n".join(sorted(group)) for key, group in table.items()}


def _candidates(text: str) -> Iterable[tuple[int, int]]:
    """Spans of words that hold letters and at least one mask between letters."""
    index, size = 0, len(text)
    while index < size:
        if not (_is_letter(text[index]) or _is_mask(text[index])):
            index += 1
            continue
        start = index
        while index < size and (_is_letter(text[index]) or _is_mask(text[index])):
            index += 1
        end = index
        # Masks at the edges are markup or a mention ("*sigh*", "#tag", "@sam"): only inner masks count.
        while start < end and not _is_letter(text[start]):
            start += 1
        while end > start and not _is_letter(text[end - 1]):
            end -= 1
        word = text[start:end]
        if 3 <= len(word) <= _MAX_WORD * 2 and any(not _is_letter(c) for c in word):
            yield start, end


def _shape(word: str) -> tuple[re.Pattern[str], str | None, int, int] | None:
    """The pattern a masked word stands for, its first letter, and the shortest and longest word it can be."""
    parts: list[str] = []
    letters = masks = 0
    shortest = longest = 0
    index = 0
    while index < len(word):
        if _is_letter(word[index]):
            parts.append(word[index])
            letters += 1
            shortest += 1
            longest += 1
            index += 1
            continue
        run = index
        while index < len(word) and not _is_letter(word[index]):
            index += 1
        chars = index - run
        masks += 1
        # One mask is one letter; a run of several (or an emoji of several code points) may be one to three.
        low, high = (1, 1) if chars == 1 else (1, min(3, chars))
        parts.append(f"[a-z]{{{low},{high}}}")
        shortest += low
        longest += high
    if letters < _MIN_LETTERS or masks > letters or longest > _MAX_WORD:
        return None
    first = word[0] if _is_letter(word[0]) else None
    # Anchored at both ends of a line: it is tried on a group of words, one a line (`_index`).
    return re.compile("^" + "".join(parts) + "$", re.MULTILINE), first, shortest, longest


def _matches(table: Mapping[tuple[int, str], str], pattern: re.Pattern[str], first: str | None,
             shortest: int, longest: int, exclude: set[str] | None = None) -> list[str]:
    found: list[str] = []
    starts = (first,) if first else tuple("abcdefghijklmnopqrstuvwxyz")
    for length in range(shortest, longest + 1):
        for letter in starts:
            group = table.get((length, letter))
            if group:
                found.extend(word for word in pattern.findall(group) if exclude is None or word not in exclude)
    return found


_QUOTES = frozenset("'\"\u2018\u2019\u201c\u201d")


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether the word at [start, end) stands in quotes of its own ("the word 'p*ki'")."""
    return start > 0 and end < len(text) and text[start - 1] in _QUOTES and text[end] in _QUOTES


class MaskedMatcher:
    """Asked for every message: masked spellings of the words of the slur, insult and swearing term lists.

    A reading only one listed word fits keeps its rule's tier; an ambiguous one is held for review.
    """

    gated = False
    gate_words: frozenset[str] = frozenset()
    gate_needs: Mapping[str, frozenset[frozenset[str]]] = {}
    always = False
    vocabulary: frozenset[str] = frozenset()
    fuzzy_vocabulary: frozenset[str] = frozenset()

    def __init__(self, rules: Iterable[Rule], english: Iterable[str],
                 clauses: frozenset[str] = frozenset({"5.5.1", "5.5.3", "5.2"})) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            if rule.kind == "terms" and rule.effect is RuleEffect.BREACH and rule.clause in clauses:
                for term in rule.terms:
                    if " " not in term:
                        self._rules.setdefault(term, rule)
        self._review = {rule.id: replace(rule, tier=Tier.REVIEW) if rule.tier is Tier.NUDGE else rule
                        for rule in self._rules.values()}
        self._lexicon = MaskedLexicon(self._rules, english)

    def find(self, message: Message, raws: list[Raw]) -> None:
        """Append a candidate, on the original text, for each masked listed word in the message."""
        if not self._rules or not MaskedLexicon.hinted(message.text):
            return
        text = message.text
        for hit in self._lexicon.find(text):
            if _quoted(text, hit.start, hit.end):
                continue  # a masked word in quotes is being reported or challenged, not used
            rule = self._rules[hit.word]
            chosen = rule if hit.unambiguous else self._review[rule.id]
            raws.append(Raw(chosen, -1, -1, hit.start, hit.end, chosen.confidence, in_layer=False))
