"""The text helpers rule packs are read with: folding terms as messages are folded, {lexicon} and {macro}
placeholders, letter-trie alternations, and string lists."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import regex

from bot.detection.normalize import normalize
from bot.errors import RulePackError

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_PATTERN_WORD = re.compile(r"(?<![\\\w{])[a-z]{3,}(?![\w}])")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")


def fold(phrase: str) -> str:
    """Fold an exception or lexicon entry the same way messages are folded, so they compare equal."""
    return " ".join(normalize(phrase).text.split())


def fold_words(phrase: str) -> str:
    """Fold a term or trigger into the words the scanner sees ("sci-hub" becomes "sci hub")."""
    return " ".join(_TOKEN.findall(normalize(phrase).text))


def expand_macros(pattern: str, macros: Mapping[str, str]) -> str:
    """Replace each {macro} by its regex fragment (macros may name other macros, a few levels deep)."""
    for _ in range(4):
        expanded = PLACEHOLDER.sub(lambda m: f"(?:{macros[m.group(1)]})" if m.group(1) in macros
                                    else m.group(0), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    return pattern


def expand_placeholders(pattern: str, lexicons: Mapping[str, Sequence[str]], path: str, rule_id: str,
                        macros: Mapping[str, str] | None = None) -> str:
    """Replace each {macro} by its regex and each {lexicon} by an alternation of its words, longest first."""
    if macros:
        pattern = expand_macros(pattern, macros)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in lexicons:
            raise RulePackError(path, f"pattern uses unknown lexicon or macro {{{name}}}", rule_id)
        return word_alternation(lexicons[name])

    return PLACEHOLDER.sub(replace, pattern)


def word_alternation(words: Iterable[str]) -> str:
    """A regex matching any of `words` (a space matches any run of whitespace), shaped as a letter trie.

    A flat alternation of hundreds of words makes the engine try every word at every position; a trie shares
    prefixes, which makes the big lexicon patterns about twice as fast. Longer words are still tried first.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [(r"\s+" if char == " " else regex.escape(char)) + build(node[char])
                    for char in sorted(c for c in node if c)]
        if not branches:
            return ""
        ends_here = "" in node
        if len(branches) == 1:
            return f"(?:{branches[0]})?" if ends_here else branches[0]
        group = "(?:" + "|".join(branches) + ")"
        return group + "?" if ends_here else group

    return "(?:" + build(trie) + ")"


def pattern_words(pattern: str) -> set[str]:
    """Literal words in a pattern's source: they join the vocabulary that re-spelling aims at."""
    return set(_PATTERN_WORD.findall(PLACEHOLDER.sub(" ", pattern)))



def string_list(value: Any, path: str, what: str, rule_id: str | None = None) -> tuple[str, ...]:
    """A pack value that should be a list of strings (a lone string is a list of one), or fail saying where."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise RulePackError(path, f"{what} must be a list of strings", rule_id)
    return tuple(str(v) for v in value)




def expand_triggers(raw: Sequence[str], lexicons: Mapping[str, tuple[str, ...]], source: str,
                     rule_id: str) -> tuple[str, ...]:
    """Expand trigger entries: "{name}" is every word of a lexicon, "{adj} {noun}" every pairing of two.

    A trigger ending in a lexicon word also fires on that word's possessive ("women's", "a muslim's", "gay
    people's"): a message's words keep their "'s", so "women" alone would miss "women's rights are a joke".
    A plural's bare apostrophe ("immigrants'") is not part of the word and needs nothing.
    """
    triggers: list[str] = []
    for item in raw:
        options: list[str] = [""]
        parts = item.split()
        for index, part in enumerate(parts):
            placeholder = PLACEHOLDER.fullmatch(part)
            if placeholder:
                name = placeholder.group(1)
                if name not in lexicons:
                    raise RulePackError(source, f"trigger uses unknown lexicon {{{name}}}", rule_id)
                words = [fold_words(word) for word in lexicons[name]]
                if index == len(parts) - 1:
                    words += [_possessive(word) for word in words if word]
            else:
                words = [fold_words(part)]
            options = [f"{prefix} {word}".strip() for prefix in options for word in words if word]
        triggers.extend(option for option in options if option)
    return tuple(dict.fromkeys(triggers))


def _possessive(phrase: str) -> str:
    """The possessive of a folded phrase's last word, as a message's words spell it ("gay people's")."""
    return phrase if phrase.endswith("'s") else f"{phrase}'s"


