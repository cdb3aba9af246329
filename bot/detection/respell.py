"""Re-spells words that are not English toward the rules' vocabulary: stretched letters squeezed, one-letter
typos corrected, two words typed without a space split, keeping a map back to the folded text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from bot.detection.message import WORD, Layer, tokens
from bot.detection.normalize import Normalized

_ALPHA = re.compile(r"^[a-z]+$")
_DOUBLED = re.compile(r"([a-z])\1+")
_SPLIT_MIN = 6  # run-together words are only split when the token is at least this long
_RESPELL_CACHE_LIMIT = 200_000
# Two-letter words that may be one half of two words typed without a space ("sosickening", "todie").
_SHORT_WORDS = frozenset({"so", "to", "of", "in", "an", "as", "at", "be", "by", "do", "go", "he", "if", "is", "it",
                          "me", "my", "no", "on", "or", "up", "us", "we"})
_COMMON_WORD = 10_000  # occurrences in pyspellchecker's counts; words without a count (British forms) pass
_BRITISH_ENDINGS = (("ization", "isation"), ("izing", "ising"), ("ized", "ised"), ("izes", "ises"), ("ize", "ise"),
                    ("yzing", "ysing"), ("yzed", "ysed"), ("yze", "yse"), ("ors", "ours"), ("or", "our"),
                    ("ter", "tre"), ("ber", "bre"), ("eling", "elling"), ("eled", "elled"), ("og", "ogue"))


@lru_cache(maxsize=1)
def word_frequencies() -> Mapping[str, int]:
    """How often each English word occurs (pyspellchecker's counts): the scanner indexes rules by rare words."""
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1).word_frequency.dictionary


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """English words (pyspellchecker's list plus British spellings): never re-spelled toward a rule's term."""
    words = set(word_frequencies())
    # The list is American; chat here is British ("behaviour", "organise", "centre"). A spelling that is not
    # really a word only means that word is left as typed, which is the safe side.
    for word in list(words):
        for us, uk in _BRITISH_ENDINGS:
            if word.endswith(us) and len(word) > len(us) + 2:
                words.add(word[: -len(us)] + uk)
                break
    return frozenset(words)


class Respeller:
    """Re-spells toward one vocabulary; remembers each word's answer, so a word is re-spelled once."""

    def __init__(self, vocabulary: Iterable[str], fuzzy_vocabulary: Iterable[str], allowlist: frozenset[str],
                 english: frozenset[str], frequency: Mapping[str, int]) -> None:
        self._allowlist = allowlist
        self._english = english
        # The English words common enough to be half of a run-together pair: only these are kept, not the
        # whole frequency table, which would be most of what the scanner cache has to load.
        self._common_english = frozenset(w for w in english if w in _SHORT_WORDS
                                         or frequency.get(w, _COMMON_WORD) >= _COMMON_WORD)
        # Typos are corrected toward lexicon and pattern words (and opted-in terms), never toward anything else.
        fuzzy = {w for w in fuzzy_vocabulary if len(w) >= 4 and _ALPHA.match(w)} - allowlist
        self.vocabulary = frozenset(set(vocabulary) - allowlist)
        self._deletions: dict[str, str] = {}
        for word in sorted(fuzzy):
            for variant in _deletions(word):
                self._deletions.setdefault(variant, word)
        self._fuzzy_vocabulary = frozenset(fuzzy)
        self.plain: set[str] = set()  # words known to need no re-spelling: most messages are only these
        self._respelled: dict[str, str | None] = {}

    def is_plain(self, words: list[str]) -> bool:
        """Whether every word is already known to need no re-spelling (one set test)."""
        return self.plain.issuperset(words)

    def layer(self, norm: Normalized, words: list[str] | None = None) -> tuple[Layer, list[str]]:
        """Re-spell words that are not English toward the rules' vocabulary, keeping a position map.

        Returns the layer and its words (the same tokens `WORD` finds, in order); `words` may be passed in
        when the caller has already found them.
        """
        text = norm.text
        if words is None:
            words = tokens(text)
        if self.is_plain(words) or not self._learn(words):
            return Layer(text), words
        respelled, starts, ends, weak = self._rewrite(text)
        return Layer(respelled, starts, ends, weak), tokens(respelled)

    def _learn(self, words: list[str]) -> bool:
        """Re-spell the words not yet known; True when one of them changes."""
        cache = self._respelled
        if len(cache) > _RESPELL_CACHE_LIMIT:
            cache.clear()
            self.plain.clear()
        changed = False
        for word in set(words).difference(self.plain):  # only the words not yet known to be plain
            if self._lookup(word) is None:
                self.plain.add(word)
            else:
                changed = True
        return changed

    def _lookup(self, word: str) -> str | None:
        spelled = self._respelled.get(word, "")
        if spelled == "":
            spelled = self._respelled[word] = self.respell(word)
        return spelled

    def _rewrite(self, text: str) -> tuple[str, list[int], list[int], tuple[tuple[int, int, str], ...]]:
        """The text with every re-spelled word replaced, each new character's span in `text`, and the spans
        re-spelled on weaker evidence."""
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        weak: list[tuple[int, int, str]] = []
        last = 0
        for found in WORD.finditer(text):
            spelled = self._lookup(found.group())
            if spelled is None:
                continue
            begin, finish = found.span()
            pieces.append(text[last:begin])
            starts.extend(range(last, begin))
            ends.extend(range(last + 1, begin + 1))
            why = weakness(found.group(), spelled)
            if why:
                weak.append((len(starts), len(starts) + len(spelled), why))
            pieces.append(spelled)
            _map_word(spelled, found.group(), begin, finish, starts, ends)
            last = finish
        pieces.append(text[last:])
        starts.extend(range(last, len(text)))
        ends.extend(range(last + 1, len(text) + 1))
        return "".join(pieces), starts, ends, tuple(weak)

    def respell(self, word: str) -> str | None:
        """The word the rules know that `word` was meant to be, or None to leave it as it is."""
        vocabulary = self.vocabulary
        if word in vocabulary or word in self._allowlist:
            return None
        if word.endswith("'s") and _ALPHA.match(word[:-2]):  # "muslm's": re-spell the word, keep the possessive
            base = self.respell(word[:-2])
            return f"{base}'s" if base is not None and " " not in base else None
        if not _ALPHA.match(word):
            return None
        if _DOUBLED.search(word):
            for variant in _squeezed_variants(word):
                if variant in vocabulary:
                    return variant
        if word in self._english or len(word) < 4:
            return None
        if word[0] in "ia" and word[1:] in vocabulary:  # "ihate": the pronoun or article run in
            return f"{word[0]} {word[1:]}"
        corrected = self._correct_typo(word)
        if corrected is not None:
            return corrected
        if len(word) >= _SPLIT_MIN:
            return self._split_run_together(word)
        return None

    def _correct_typo(self, word: str) -> str | None:
        """One deleted, inserted or swapped letter away from a rule word (letters of 5+, or a swap of 4+)."""
        if len(word) >= 4 and word in self._deletions and len(self._deletions[word]) >= 5:
            return self._deletions[word]  # a letter missing from the word: the likeliest slip
        candidates: set[str] = set()
        if len(word) >= 5:
            candidates.update(v for v in _deletions(word) if v in self._fuzzy_vocabulary)  # a letter too many
        for index in range(len(word) - 1):
            swapped = word[:index] + word[index + 1] + word[index] + word[index + 2:]
            if swapped in self._fuzzy_vocabulary:
                candidates.add(swapped)
        if len(candidates) == 1:
            return candidates.pop()
        return None

    def _split_run_together(self, word: str) -> str | None:
        """Split two words typed without a space, when one of them is a rule word and both are English."""
        vocabulary = self.vocabulary
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if left in self._allowlist or right in self._allowlist:
                continue
            long_enough = all(len(part) >= 3 or part in _SHORT_WORDS for part in (left, right))
            if (long_enough and self._known(left) and self._known(right)
                    and (left in vocabulary or right in vocabulary)):
                return f"{left} {right}"
        return None

    def _known(self, part: str) -> bool:
        """A rule word, or an English word common enough to be half of two words run together ("hoo" is not,
        so "hoodies" stays whole)."""
        return part in self.vocabulary or part in self._common_english


SPLIT = "split run-together words"
TYPO = "re-spelled a typo"


def weakness(word: str, spelled: str) -> str:
    """Why re-spelling `word` as `spelled` is weaker evidence ("" when it is not: stretched letters squeezed)."""
    if spelled.replace(" ", "") == word:
        return SPLIT
    if _DOUBLED.sub(r"\1", spelled) == _DOUBLED.sub(r"\1", word):
        return ""
    return TYPO


def _map_word(spelled: str, word: str, begin: int, finish: int, starts: list[int], ends: list[int]) -> None:
    """Positions of a re-spelled word's characters: a split keeps each letter's own, else the whole word's."""
    if spelled.replace(" ", "") != word:
        starts.extend([begin] * len(spelled))
        ends.extend([finish] * len(spelled))
        return
    cursor = begin
    for char in spelled:
        if char == " ":
            starts.append(cursor)
            ends.append(cursor)
        else:
            starts.append(cursor)
            ends.append(cursor + 1)
            cursor += 1


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


def _squeezed_variants(word: str) -> Iterable[str]:
    """Forms of a word with each doubled letter kept single or double, fewest letters first."""
    runs = [(m.start(), m.end()) for m in _DOUBLED.finditer(word)][:4]
    variants = {word}
    for begin, finish in runs:
        letter = word[begin]
        variants = {v.replace(word[begin:finish], letter * n, 1) for v in variants for n in (1, 2)}
    return sorted(variants, key=len)
