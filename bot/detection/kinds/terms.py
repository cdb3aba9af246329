"""`kind: terms`: a list of words and phrases, looked up word by word in the re-spelled text."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.detection.index import TermIndex, term_gate_words
from bot.detection.kinds.base import KindEnv, PackContext
from bot.detection.message import WORD, Message, Raw
from bot.detection.model import Rule
from bot.detection.packtext import fold_words, string_list
from bot.errors import RulePackError

_LEXICON = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def _lexicon_words(item: str, pack: PackContext) -> tuple[str, ...]:
    """A term as listed, or every word of the lexicon when the term is "{name}"."""
    named = _LEXICON.fullmatch(item.strip())
    if named is None:
        return (item,)
    if named.group(1) not in pack.lexicons:
        raise RulePackError(pack.source, f"terms use unknown lexicon {item.strip()}", pack.rule_id)
    return pack.lexicons[named.group(1)]


class TermsKind:
    """Term lists: short strong words and exact phrases."""

    name = "terms"
    keys = frozenset({"terms"})

    def parse(self, raw: Mapping[str, Any], common: Mapping[str, Any], pack: PackContext) -> Rule:
        """A rule with its terms folded as messages are, duplicates dropped."""
        # "{name}" in a term list stands for every word of that lexicon, so a word list is kept in one place.
        listed = [word for item in string_list(raw.get("terms"), pack.source, "terms", pack.rule_id)
                  for word in _lexicon_words(item, pack)]
        terms = tuple(dict.fromkeys(t for t in (fold_words(t) for t in listed) if t))
        if not terms:
            raise RulePackError(pack.source, "a terms rule needs a non-empty 'terms' list", pack.rule_id)
        return Rule(**common, terms=terms)

    def compile(self, rules: Sequence[Rule], env: KindEnv) -> TermsMatcher:
        """Index the terms by first word."""
        return TermsMatcher(rules, env)


class TermsMatcher:
    """Term lists indexed by first word; a message's words are looked up, never searched for."""

    gated = True
    always = False

    def __init__(self, rules: Sequence[Rule], env: KindEnv) -> None:
        self._index = TermIndex(rules)
        self._allowlist = env.allowlist
        self.vocabulary = frozenset(w for rule in rules for term in rule.terms for w in term.split())
        # Term lists are short strong words: typo-matching them is opt-in.
        self.fuzzy_vocabulary = frozenset(w for rule in rules if rule.fuzzy for term in rule.terms
                                          for w in term.split() if len(w) >= 4)
        self.gate_words = frozenset(term_gate_words(rules, env.frequency))
        self.gate_needs: Mapping[str, frozenset[frozenset[str]]] = {}  # a term's rarest word is all it needs

    def find(self, message: Message, raws: list[Raw]) -> None:
        """Every occurrence of a term whose words the message holds."""
        if message.tokens.isdisjoint(self._index.keys):
            return
        wanted = self._index.wanted(message.tokens, message.joined)
        if not wanted:
            return
        assert message.layer is not None
        positions = [(m.group(), m.start(), m.end()) for m in WORD.finditer(message.layer.text)]
        words = [p[0] for p in positions]
        for index, word in enumerate(words):
            entries = self._index.entries.get(word)
            if not entries or word in self._allowlist:
                continue
            for phrase, rule in entries:
                last = index + len(phrase)
                if phrase not in wanted or tuple(words[index:last]) != phrase:
                    continue
                start, end = positions[index][1], positions[last - 1][2]
                raws.append(message.raw(rule, start, end, rule.confidence))
