"""A pattern run as its top-level alternatives, only those whose literals the message holds.

The big lexicon patterns are a dozen or more alternatives ("X are not human" | "no place for X" | ...), each a
word alternation thousands of characters long, and `re` tries every one of them at every word of a message.
The one-pass literal gate (`bot.detection.index.LiteralGates`) already knows which of a pattern's alternatives
could match a message: each needs a literal of every set `bot.detection.literals` found for it. An alternative
missing one cannot match anywhere in the message, so leaving it out changes no match: at each position the
alternation takes its first alternative that matches there, and a left-out one never does. The alternatives
still possible are searched one by one and the matches merged as the alternation would make them: the leftmost
start, on a tie the alternative listed first, then on from where that match ended.

Only a pattern that splits cleanly is run this way: its source divides at top-level `|` into as many parts as
Python's parser sees alternatives, every part compiles alone with the pattern's own flags, and no part can match
the empty string (finditer's rules for empty matches are then never needed). Any other pattern runs whole.
The scan's timeout holds for each `regex` search of an alternative.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import regex

from bot.detection.plainre import class_end, plain_form


def split_top_level(source: str) -> list[str]:
    """The source's top-level alternatives as written (escapes, classes and groups respected)."""
    parts: list[str] = []
    depth = 0
    start = 0
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = class_end(source, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:])
    return parts


class Alternatives:
    """A pattern's top-level alternatives, each compiled on first use: with `re` where `re` runs it exactly
    (`bot.detection.plainre`), else with `regex` (under the scan's timeout) behind its wider `re` prefilter."""

    __slots__ = ("_compiled", "_flags", "_timeout", "sources")

    def __init__(self, sources: Sequence[str], flags: int, timeout: float) -> None:
        self.sources = tuple(sources)
        self._flags = flags
        self._timeout = timeout
        self._compiled: dict[int, Callable[[str, int], Any]] = {}

    def search(self, index: int) -> Callable[[str, int], Any]:
        """A search of alternative `index` alone: (text, pos) to its first match at or after pos, or None."""
        found = self._compiled.get(index)
        if found is None:
            found = self._compiled[index] = self._compile(self.sources[index])
        return found

    def _compile(self, source: str) -> Callable[[str, int], Any]:
        plain = plain_form(source, self._flags)
        if plain is not None and plain.exact:
            return plain.compiled.search
        full = regex.compile(source, self._flags)
        timeout = self._timeout
        if plain is None:
            return lambda text, pos: full.search(text, pos, timeout=timeout)
        wider = plain.compiled

        def behind_prefilter(text: str, pos: int) -> Any:
            first = wider.search(text, pos)
            return None if first is None else full.search(text, first.start(), timeout=timeout)

        return behind_prefilter

    def finditer(self, text: str, possible: Sequence[int]) -> Iterator[tuple[Any, int]]:
        """The matches the whole alternation finds in `text` when only the alternatives `possible` (in listed
        order) can match there, each with the index of the alternative that made it. Every alternative is
        compiled before the first match is given, so a compile error comes before any match."""
        searches = [(index, self.search(index)) for index in possible]
        pos = 0
        # The next match of each alternative at or after `pos` (None: it has no more).
        ahead: dict[int, Any] = {index: search(text, pos) for index, search in searches}
        while True:
            best: tuple[Any, int] | None = None
            for index, _search in searches:
                found = ahead[index]
                if found is not None and (best is None or found.start() < best[0].start()):
                    best = (found, index)
            if best is None:
                return
            yield best
            pos = best[0].end()
            for index, search in searches:
                found = ahead[index]
                if found is not None and found.start() < pos:
                    ahead[index] = search(text, pos)


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def alternatives(source: str, flags: int, shortest: Sequence[int] | None, timeout: float) -> Alternatives | None:
    """The pattern as separately compiled alternatives, or None when it does not split cleanly (see the module
    docstring). `shortest` is the length of the shortest match of each alternative Python's parser sees
    (`literals.alternative_widths`), so the source's parts are known to be those alternatives."""
    parts = split_top_level(source)
    if len(parts) < 2 or shortest is None or len(parts) != len(shortest) or 0 in shortest:
        return None
    if _GLOBAL_FLAGS.match(source):  # inline flags at the start hold for every alternative, not the first alone
        return None
    return Alternatives(parts, flags, timeout)
