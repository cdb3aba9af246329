"""Candidate indexes: which rules a message's words can reach. Terms by their first word, patterns by their
trigger words, pairs and phrases, counter-speech cues, the gate words, and per-pattern literal prefilters."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

import ahocorasick

from bot.detection.literals import literal_clauses, required_literals
from bot.detection.model import Rule
from bot.detection.packtext import word_alternation
from bot.models import RuleEffect


class TermIndex:
    """Term lists indexed by each term's first word."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.entries: dict[str, list[tuple[tuple[str, ...], Rule]]] = {}
        for rule in rules:
            for term in rule.terms:
                words = tuple(term.split())
                self.entries.setdefault(words[0], []).append((words, rule))
        self.keys = frozenset(self.entries)

    def wanted(self, tokens: set[str], joined: str) -> set[tuple[str, ...]]:
        """The terms whose words are all in the message (a phrase only as a whole phrase)."""
        wanted: set[tuple[str, ...]] = set()
        for token in tokens & self.keys:
            for phrase, _rule in self.entries[token]:
                if len(phrase) == 1 or f" {' '.join(phrase)} " in joined:
                    wanted.add(phrase)
        return wanted


class TriggerIndex:
    """Patterns by trigger: one word fires on the word, two on the pair, three or more on the whole phrase.

    Counter-speech patterns are kept apart: they are consulted only once a breach is found.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.words: dict[str, list[Rule]] = {}
        self.bigrams: dict[tuple[str, str], list[Rule]] = {}
        self.phrases: dict[str, list[tuple[str, Rule]]] = {}  # phrases of three words or more
        self.counters: dict[str, list[tuple[str, Rule]]] = {}
        self.untriggered: list[Rule] = []
        for rule in rules:
            if not rule.triggers:
                self.untriggered.append(rule)
            for trigger in rule.triggers:
                self._add(rule, trigger)
        self._phrase_at = {first: _PhraseTable(entries) for first, entries in self.phrases.items()}
        self.word_keys = frozenset(self.words)
        self.bigram_keys = frozenset(self.bigrams)
        self.bigram_firsts = frozenset(first for first, _ in self.bigrams)
        self.phrase_keys = frozenset(self.phrases)
        self.counter_keys = frozenset(self.counters)

    def _add(self, rule: Rule, trigger: str) -> None:
        words = trigger.split()
        if not words:
            return
        if rule.effect is RuleEffect.COUNTER:
            self.counters.setdefault(words[0], []).append((f" {trigger} ", rule))
        elif len(words) == 1:
            self.words.setdefault(words[0], []).append(rule)
        elif len(words) == 2:
            self.bigrams.setdefault((words[0], words[1]), []).append(rule)
        else:
            self.phrases.setdefault(words[0], []).append((f" {trigger} ", rule))

    def reachable(self, tokens: set[str]) -> bool:
        """Whether any breach pattern could be selected for a message with these words."""
        return bool(self.untriggered or not tokens.isdisjoint(self.word_keys)
                    or not tokens.isdisjoint(self.bigram_firsts) or not tokens.isdisjoint(self.phrase_keys))

    def select(self, tokens: set[str], words: list[str], joined: str) -> dict[str, Rule]:
        """The breach and welfare patterns a message's words trigger, in a stable order."""
        selected: dict[str, Rule] = {r.id: r for r in self.untriggered}
        for token in tokens & self.word_keys:
            for rule in self.words[token]:
                selected.setdefault(rule.id, rule)
        if not tokens.isdisjoint(self.bigram_firsts):
            for bigram in set(itertools.pairwise(words)) & self.bigram_keys:
                for rule in self.bigrams[bigram]:
                    selected.setdefault(rule.id, rule)
        for token in tokens & self.phrase_keys:
            for rule in self._phrase_at[token].present(token, words, joined):
                selected.setdefault(rule.id, rule)
        return selected

    def select_counters(self, tokens: set[str], joined: str) -> dict[str, Rule]:
        """The counter-speech patterns a message's words trigger."""
        counters: dict[str, Rule] = {}
        for token in tokens & self.counter_keys:
            for phrase, rule in self.counters[token]:
                if (rule.id not in counters and (" " not in phrase.strip() or phrase in joined)
                        and not (rule.requires and tokens.isdisjoint(rule.requires))):
                    counters[rule.id] = rule
        return counters


class _PhraseTable:
    """The phrases of three words or more that start with one word, looked up where that word stands.

    A phrase " a b c " is a substring of the message's words joined by single spaces exactly when the words a, b
    and c stand together in it, so instead of one substring test per phrase (hundreds begin with "non" or
    "learning"), the few word runs after each place the first word stands are looked up. The rules come back in
    the order the phrases were listed, as the substring tests found them.
    """

    __slots__ = ("_entries", "_lengths", "_plain", "_positions")

    def __init__(self, entries: list[tuple[str, Rule]]) -> None:
        self._entries = entries
        # A phrase written other than as single-spaced words keeps its substring test (never true for WORD tokens).
        self._plain = all(phrase == f" {' '.join(phrase.split())} " for phrase, _ in entries)
        self._positions: dict[tuple[str, ...], list[int]] = {}
        for position, (phrase, _rule) in enumerate(entries):
            self._positions.setdefault(tuple(phrase.split()), []).append(position)
        self._lengths = sorted({len(words) for words in self._positions})

    def present(self, first: str, words: list[str], joined: str) -> list[Rule]:
        """The rules of the phrases the message holds, in listed order (a rule once per phrase found)."""
        if not self._plain:
            return [rule for phrase, rule in self._entries if phrase in joined]
        found: set[int] = set()
        for start, word in enumerate(words):
            if word != first:
                continue
            for length in self._lengths:
                hit = self._positions.get(tuple(words[start:start + length]))
                if hit:
                    found.update(hit)
        return [self._entries[position][1] for position in sorted(found)]


def literal_gates(rules: Iterable[Rule]) -> dict[str, re.Pattern[str]]:
    """Per pattern, the literal strings one of which every match holds: one quick search rules most out."""
    gates: dict[str, re.Pattern[str]] = {}
    for rule in rules:
        literals = rule.literals
        if literals is None and rule.compiled is not None:  # a rule built by hand, not by the loader
            literals = required_literals(rule.compiled.pattern)
        if literals:
            gates[rule.id] = re.compile(word_alternation(sorted(literals)))
    return gates


_WHITESPACE = re.compile(r"\s+")
# One pass as soon as one gated pattern is triggered: beyond the literal test it tells which of a pattern's
# alternatives can match at all, which saves more than the pass costs.
_AUTOMATON_FROM = 1
_MAX_CLAUSES = 64  # alternatives per pattern worth checking one by one


class LiteralGates:
    """The literal prefilters of every pattern, asked in one pass: an Aho-Corasick automaton over all their
    literals finds which occur in a message, then each triggered pattern is a few set tests. Its cost follows
    the text, not the number of patterns (one `re` search per pattern grew with every pack).

    Every literal set a pattern needs (its own `required_literals`, and per top-level alternative each set of
    `literal_clauses`) is numbered once; the pass turns the literals found into the numbers of the sets they
    satisfy, so a pattern is one membership test and each alternative one subset test.
    """

    def __init__(self, rules: Iterable[Rule]) -> None:
        rules = list(rules)
        self._searches = literal_gates(rules)
        self._needs: dict[frozenset[str], int] = {}
        self._gate: dict[str, int] = {}  # per pattern, the number of its own literal set
        # Per pattern, per top-level alternative, the numbers of the literal sets it needs one of each.
        self._clauses: dict[str, tuple[frozenset[int], ...]] = {}
        for rule in rules:
            if rule.id not in self._searches:
                continue
            literals = rule.literals if rule.literals is not None else required_literals(
                rule.compiled.pattern if rule.compiled is not None else "")
            self._gate[rule.id] = self._number(literals or ())
            clauses = literal_clauses(rule.compiled.pattern) if rule.compiled is not None else None
            if clauses and len(clauses) <= _MAX_CLAUSES:
                self._clauses[rule.id] = tuple(frozenset(self._number(need) for need in needs) for needs in clauses)
        by_literal: dict[str, set[int]] = {}
        for need, number in self._needs.items():
            for literal in need:
                by_literal.setdefault(literal, set()).add(number)
        self._satisfies = [frozenset(numbers) for numbers in by_literal.values()]
        self._automaton = ahocorasick.Automaton()
        for index, literal in enumerate(by_literal):
            self._automaton.add_word(literal, index)
        if len(self._automaton):
            self._automaton.make_automaton()

    def _number(self, literals: Iterable[str]) -> int:
        # A space in a literal stands for any whitespace (as in its search); the text is collapsed alike.
        need = frozenset(_WHITESPACE.sub(" ", literal) for literal in literals)
        return self._needs.setdefault(need, len(self._needs))

    def clauses(self, rule_id: str) -> tuple[frozenset[int], ...] | None:
        """Per top-level alternative of the pattern, the numbers of the literal sets it needs one of each."""
        return self._clauses.get(rule_id)

    def gated(self, rule_id: str) -> bool:
        """Whether the pattern has a literal prefilter."""
        return rule_id in self._gate

    def present(self, text: str, gated_count: int) -> set[int] | None:
        """The numbers of the literal sets `text` holds a literal of, or None when `gated_count` patterns are
        better searched alone."""
        if gated_count < _AUTOMATON_FROM or not len(self._automaton):
            return None
        found = {index for _, index in self._automaton.iter(_WHITESPACE.sub(" ", text))}
        satisfies = self._satisfies
        return set().union(*[satisfies[index] for index in found])

    def admits(self, rule_id: str, text: str, present: set[int] | None) -> bool:
        """Whether the pattern could match `text`: it has no prefilter, or one of its literals occurs (and, once
        the pass has run, some alternative of it holds a literal of every set it needs)."""
        gate = self._gate.get(rule_id)
        if gate is None:
            return True
        if present is None:
            return self._searches[rule_id].search(text) is not None
        if gate not in present:
            return False
        clauses = self._clauses.get(rule_id)
        return clauses is None or any(needs <= present for needs in clauses)


def possible_alternatives(gates: LiteralGates, rule_id: str, present: set[int] | None) -> list[int] | None:
    """The top-level alternatives of a pattern (by index) that hold a literal of every set they need, or None
    when that is not known (no pass was made, or the pattern's alternatives have no literal sets)."""
    clauses = gates.clauses(rule_id)
    if present is None or clauses is None:
        return None
    return [index for index, needs in enumerate(clauses) if needs <= present]


def term_gate_words(rules: Iterable[Rule], frequency: Mapping[str, int]) -> set[str]:
    """Each term's rarest word in English: a message holding none of them matches no term."""
    return {min(term.split(), key=lambda w: frequency.get(w, 0)) for rule in rules for term in rule.terms
            if term.split()}


def pattern_gate_words(rules: Iterable[Rule], frequency: Mapping[str, int]) -> set[str]:
    """For each triggered breach pattern, the rarer in English of two word sets it needs one of: a word from each
    of its triggers (each trigger's first and last word are both needed), or its `requires` words."""
    return set(pattern_gates(rules, frequency))


def pattern_gates(rules: Iterable[Rule], frequency: Mapping[str, int]) -> dict[str, frozenset[frozenset[str]]]:
    """The gate words of `pattern_gate_words`, each with what else a message holding it needs before any pattern
    it gates can be selected: a word of one of the sets listed (each the other of some pattern's two word sets: a
    pattern with `requires` runs only where a trigger and a required word both are). An empty entry needs nothing
    more.

    A common gate word ("anyone", "people") then sends a message on only with the rest of some pattern's need."""

    def commonness(words: Iterable[str]) -> int:
        return sum(frequency.get(w, 0) for w in words)

    needs: dict[str, set[frozenset[str]] | None] = {}
    for rule in rules:
        if not rule.triggers or rule.effect is RuleEffect.COUNTER:
            continue
        candidates = [frozenset(cover([trigger.split() for trigger in rule.triggers if trigger.split()], frequency))]
        if rule.requires:
            candidates.append(frozenset(rule.requires))
        gate = min(candidates, key=commonness)
        others = [other for other in candidates if other is not gate]
        for word in gate:
            current = needs.get(word, set())
            if not others or current is None:
                needs[word] = None  # some pattern needs only this word
            else:
                current.update(others)
                needs[word] = current
    return {word: frozenset(other or ()) for word, other in needs.items()}


def cover(phrases: list[list[str]], frequency: Mapping[str, int]) -> set[str]:
    """Words that between them appear in every phrase, chosen greedily to be rare ("polish" over "people")."""
    uncovered = [set(words) for words in phrases]
    chosen: set[str] = set()
    while uncovered:
        counts: dict[str, int] = {}
        for words in uncovered:
            for word in words:
                counts[word] = counts.get(word, 0) + 1
        best = min(counts, key=lambda w: ((frequency.get(w, 0) + 1) / counts[w], w))
        chosen.add(best)
        uncovered = [words for words in uncovered if best not in words]
    return chosen
