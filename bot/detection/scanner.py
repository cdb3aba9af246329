"""Decides whether a message breaches a clause, which one and where: pure, synchronous and fast.

Rules are compiled once. A message is folded (bot.detection.normalize), its words are re-spelled toward the rules'
vocabulary where they are not English words (stretched letters, one-letter typos, words run together), and
then term lists are looked up in hashed token indexes, patterns run only when one of their trigger words is
present, and validators only when their cheap prefilter passes. Negation, counter-speech, exceptions and the
allowlist withdraw matches; every match is reported as a span of the original text.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.detection.audience import for_audience
from bot.detection.literals import required_literals
from bot.detection.normalize import Normalized, fold_plain, normalize
from bot.detection.ownership import OWNERSHIP_PACKS, judge_ownership
from bot.detection.rules import (
    PATTERN_TIMEOUT,
    AudienceScope,
    Rule,
    RuleKind,
    RuleSet,
    load_rule_set,
    pattern_words,
    word_alternation,
)
from bot.detection.validators import VALIDATORS, Validator
from bot.models import Audience, Match, RuleEffect, ScanContext, Tier, Verdict
from bot.resources import rules_dir

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)*")
_ALPHA = re.compile(r"^[a-z]+$")
_DIGIT = re.compile(r"\d")
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\ufe00-\ufe0f\ufeff]")
_DOUBLED = re.compile(r"([a-z])\1+")
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n]|\b(?:but|however|that|because|though|although)\b"
                           r"|\bso\s+(?=(?:we|i|they|you|let's|lets)\b)")
_SENTENCE_END = re.compile(r"[.!?\n]+")
_CLAUSE_PUNCTUATION = re.compile(r"[,;:]")
_QUOTED = re.compile(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d")
NEGATORS = frozenset({
    "not", "no", "never", "nor", "neither", "don't", "dont", "doesn't", "doesnt", "didn't", "didnt", "isn't",
    "isnt", "aren't", "arent", "wasn't", "wasnt", "weren't", "werent", "won't", "wont", "can't", "cant",
    "cannot", "shouldn't", "shouldnt", "wouldn't", "wouldnt", "mustn't", "mustnt", "ain't", "aint", "hardly",
})
_NEGATION_LOOKBACK = 3  # words before a match that a negator may stand in
_NEGATION_IDIOMS = re.compile(r"\b(?:can't|cant|cannot|can\s+not)\s+(?:stand|bear|wait)\b"
                              r"|\b(?:don't|dont|do\s+not|never)\s+forget\b|\bno\s+(?:doubt|wonder)\b|\bnot\s+only\b"
                              r"|\b(?:never|won't|wont|can't|cant)\s+stop\b")
_SPLIT_MIN = 6  # run-together words are only split when the token is at least this long
_RESPELL_CACHE_LIMIT = 200_000
# Two-letter words that may be one half of two words typed without a space ("sosickening", "todie").
_SHORT_WORDS = frozenset({"so", "to", "of", "in", "an", "as", "at", "be", "by", "do", "go", "he", "if", "is", "it",
                          "me", "my", "no", "on", "or", "up", "us", "we"})
_MAX_MATCHES_PER_MESSAGE = 50
_COMMON_WORD = 10_000  # occurrences in pyspellchecker's counts; words without a count (British forms) pass
# Quoting or challenging abuse withdraws abuse (hate, insults, explicit content), never a leak of personal or
# confidential data: "do not share her number 07700 900123" still shares it.
COUNTERABLE_CLAUSES = frozenset({"5.5.1", "5.5.2", "5.5.3", "5.2"})
_NOTHING = Verdict()  # verdicts are immutable: every clean message can share one
_DEFAULT_CONTEXT = ScanContext()


@dataclass(frozen=True, slots=True)
class ScannerSettings:
    """Tunable limits of a scan; the defaults suit chat."""

    min_confidence: float = 0.5
    chunk_size: int = 8_000
    chunk_overlap: int = 200
    pattern_timeout: float = PATTERN_TIMEOUT
    max_scan_seconds: float = 1.0
    validator_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Finding:
    """A candidate match and what became of it, for `nudgebot explain`."""

    match: Match
    status: str  # "breach", "welfare", "counter", or why it was withdrawn


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything `nudgebot explain` shows: the folded and re-spelled text and every candidate."""

    normalized: str
    respelled: str
    findings: tuple[Finding, ...]
    verdict: Verdict


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


class _Layer:
    """The re-spelled text and the way back to positions in the folded text."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str, starts: list[int] | None = None, ends: list[int] | None = None) -> None:
        self.text = text
        self.starts = starts
        self.ends = ends

    def to_folded(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        if end <= start:
            return self.starts[start], self.starts[start]
        return self.starts[start], self.ends[end - 1]


class _Joined:
    """The message's words joined by single spaces and padded, built only when a phrase needs checking."""

    __slots__ = ("_text", "_words")

    def __init__(self, words: list[str]) -> None:
        self._words = words
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = f" {' '.join(self._words)} "
        return self._text


@dataclass(slots=True)
class _Raw:
    rule: Rule
    start: int  # in the re-spelled layer (-1 for validator matches, which carry original spans)
    end: int
    orig_start: int
    orig_end: int
    confidence: float


class Scanner:
    """All rule packs compiled for scanning; build once, then call `scan` for every message."""

    def __init__(self, rule_set: RuleSet, settings: ScannerSettings | None = None,
                 validators: Mapping[str, Validator] | None = None,
                 english: frozenset[str] | None = None) -> None:
        self.rule_set = rule_set
        self.settings = settings or ScannerSettings()
        self._validators = dict(VALIDATORS if validators is None else validators)
        self._english = known_words() if english is None else english
        self._frequency = word_frequencies()
        self._allowlist = rule_set.allowlist
        self._term_index: dict[str, list[tuple[tuple[str, ...], Rule]]] = {}
        self._pattern_index: dict[str, list[Rule]] = {}
        self._bigram_index: dict[tuple[str, str], list[Rule]] = {}
        self._counter_index: dict[str, list[tuple[str, Rule]]] = {}
        self._phrase_index: dict[str, list[tuple[str, Rule]]] = {}  # phrases of three words or more
        self._untriggered: list[Rule] = []
        self._validator_rules: list[tuple[Rule, Validator, int, Mapping[str, Any], re.Pattern[str] | None]] = []
        self._required_context: dict[str, frozenset[str]] = {}
        self._required_phrases: dict[str, tuple[str, ...]] = {}
        self._required_firsts: dict[str, frozenset[str]] = {}  # first words of the phrases: a cheap first test
        hints: dict[str, re.Pattern[str]] = {}
        self._exceptions: dict[str, tuple[str, ...]] = {}
        vocabulary: set[str] = set()
        fuzzy_vocabulary: set[str] = set()
        for words in rule_set.lexicons.values():
            for phrase in words:
                vocabulary.update(_WORD.findall(phrase))
        fuzzy_vocabulary.update(vocabulary)
        for rule in rule_set.rules:
            if rule.exceptions:
                self._exceptions[rule.id] = rule.exceptions
            if rule.kind is RuleKind.TERMS:
                for term in rule.terms:
                    words = tuple(term.split())
                    self._term_index.setdefault(words[0], []).append((words, rule))
                    vocabulary.update(words)
                    if rule.fuzzy:  # term lists are short strong words: typo-matching them is opt-in
                        fuzzy_vocabulary.update(w for w in words if len(w) >= 4)
            elif rule.kind is RuleKind.PATTERN:
                vocabulary.update(pattern_words(rule.pattern))
                fuzzy_vocabulary.update(pattern_words(rule.pattern))
                if rule.triggers:
                    for trigger in rule.triggers:
                        words = trigger.split()
                        if not words:
                            continue
                        # A one-word trigger fires on the word; a phrase ("the elderly") only on the whole phrase.
                        if rule.effect is RuleEffect.COUNTER:  # consulted only once a breach is found
                            self._counter_index.setdefault(words[0], []).append((f" {trigger} ", rule))
                        elif len(words) == 1:
                            self._pattern_index.setdefault(words[0], []).append(rule)
                        elif len(words) == 2:
                            self._bigram_index.setdefault((words[0], words[1]), []).append(rule)
                        else:
                            self._phrase_index.setdefault(words[0], []).append((f" {trigger} ", rule))
                        vocabulary.update(words)
                else:
                    self._untriggered.append(rule)
            elif rule.kind is RuleKind.VALIDATOR:
                if rule.validator not in self._validators:
                    raise ValueError(f"rule {rule.id} names unknown validator {rule.validator!r}")
                validator = self._validators[rule.validator]
                needs = getattr(validator, "min_digits", 1 if validator.needs_digit else 0)
                options = {**self.settings.validator_options.get(rule.validator, {}), **rule.options}
                hint = getattr(validator, "hint", None)
                compiled_hint = hints.setdefault(hint, re.compile(hint)) if hint else None  # shared when equal
                self._validator_rules.append((rule, validator, needs, options, compiled_hint))
                single = {w for w in rule.context.raise_words if len(_WORD.findall(w)) == 1}
                self._required_context[rule.id] = frozenset(_WORD.findall(w)[0] for w in single)
                self._required_phrases[rule.id] = tuple(
                    f" {' '.join(_WORD.findall(p))} " for p in rule.context.raise_words - single)
                self._required_firsts[rule.id] = frozenset(
                    _WORD.findall(p)[0] for p in rule.context.raise_words - single if _WORD.findall(p))
        # Typos are corrected toward lexicon and pattern words (and opted-in terms), never toward anything else.
        fuzzy_vocabulary = {w for w in fuzzy_vocabulary if len(w) >= 4 and _ALPHA.match(w)} - self._allowlist
        vocabulary -= self._allowlist
        self._vocabulary = frozenset(vocabulary)
        self._deletions: dict[str, str] = {}
        for word in sorted(fuzzy_vocabulary):
            for variant in _deletions(word):
                self._deletions.setdefault(variant, word)
        self._fuzzy_vocabulary = frozenset(fuzzy_vocabulary)
        self._term_keys = frozenset(self._term_index)
        self._pattern_keys = frozenset(self._pattern_index)
        self._bigram_keys = frozenset(self._bigram_index)
        self._bigram_firsts = frozenset(first for first, _ in self._bigram_index)
        self._phrase_keys = frozenset(self._phrase_index)
        self._counter_keys = frozenset(self._counter_index)
        self._trigger_keys = self._gate_words(rule_set.rules)
        # Per pattern, the literal strings one of which every match holds: one quick search rules most out.
        self._literal_gates: dict[str, re.Pattern[str]] = {}
        for rule in rule_set.rules:
            literals = rule.literals
            if literals is None and rule.compiled is not None:  # a rule built by hand, not by the loader
                literals = required_literals(rule.compiled.pattern)
            if literals:
                self._literal_gates[rule.id] = re.compile(word_alternation(sorted(literals)))
        # Validators run only on messages with a digit, or holding a character one of them needs ("@").
        self._validator_chars = frozenset(getattr(validator, "needs_char", "")
                                          for _, validator, needs, _, _ in self._validator_rules if needs == 0)
        self._validator_always = "" in self._validator_chars
        self._validator_rules.sort(key=lambda entry: entry[2])
        self._validator_digits = [entry[2] for entry in self._validator_rules]
        self._plain: set[str] = set()  # words known to need no re-spelling: most messages are only these
        self._respelled: dict[str, str | None] = {}

    def _gate_words(self, rules: Iterable[Rule]) -> frozenset[str]:
        """Words at least one of which every term or triggered pattern needs: a message with none skips them all.

        Each term is represented by its rarest word, and each pattern by the rarer in English of two word sets
        it needs one of: a word from each of its triggers, or its `requires` words.
        """
        frequency = word_frequencies()

        def rarest(phrase: str) -> str:
            return min(phrase.split(), key=lambda w: frequency.get(w, 0))

        def commonness(words: Iterable[str]) -> int:
            return sum(frequency.get(w, 0) for w in words)

        gate: set[str] = set()
        for rule in rules:
            if rule.kind is RuleKind.TERMS:
                gate.update(rarest(term) for term in rule.terms if term.split())
            elif rule.kind is RuleKind.PATTERN and rule.triggers and rule.effect is not RuleEffect.COUNTER:
                # A pattern needs each trigger's first word and its last word, and one of its `requires`: any
                # of those sets is a sound key; the rarest is the best.
                candidates = [_cover([trigger.split() for trigger in rule.triggers if trigger.split()], frequency)]
                if rule.requires:
                    candidates.append(set(rule.requires))
                gate.update(min(candidates, key=commonness))
        return frozenset(gate)

    @classmethod
    def from_directories(cls, extra: Sequence[Path] = (), settings: ScannerSettings | None = None) -> Scanner:
        """Build a scanner from the built-in packs plus a committee's own pack directories."""
        rule_set = load_rule_set([rules_dir(), *extra], validator_names=VALIDATORS.keys())
        return cls(rule_set, settings)

    # -- scanning ---------------------------------------------------------------------------------------

    def scan(self, text: str, context: ScanContext | None = None) -> Verdict:
        """Scan one message; the verdict's spans index the original `text`."""
        if len(text) <= self.settings.chunk_size:
            return self._scan_chunk(text, 0, context or _DEFAULT_CONTEXT, None)
        return self._run(text, context or _DEFAULT_CONTEXT, None)

    def explain(self, text: str, context: ScanContext | None = None) -> Explanation:
        """Scan one message and keep every candidate with what became of it."""
        findings: list[Finding] = []
        verdict = self._run(text, context or ScanContext(), findings)
        norm = normalize(text[: self.settings.chunk_size], squeeze_stretched=False)
        layer, _ = self._respell_layer(norm)
        return Explanation(norm.text, layer.text, tuple(findings), verdict)

    def _run(self, text: str, context: ScanContext, findings: list[Finding] | None) -> Verdict:
        size = self.settings.chunk_size
        if len(text) <= size:
            return self._scan_chunk(text, 0, context, findings)
        # Long messages are scanned in overlapping windows so time grows with length, within a deadline.
        deadline = time.monotonic() + self.settings.max_scan_seconds
        step = size - self.settings.chunk_overlap
        matches: dict[tuple[str, int, int], Match] = {}
        welfare: dict[tuple[str, int, int], Match] = {}
        shadow: dict[tuple[str, int, int], Match] = {}
        suppressed: list[tuple[Match, str]] = []
        for offset in range(0, len(text), step):
            if time.monotonic() > deadline:
                log.warning("scan stopped at the deadline", extra={"scanned_chars": offset, "length": len(text)})
                break
            part = self._scan_chunk(text[offset: offset + size], offset, context, findings)
            for m in part.matches:
                matches.setdefault((m.rule_id, m.start, m.end), m)
            for m in part.welfare:
                welfare.setdefault((m.rule_id, m.start, m.end), m)
            for m in part.shadow:
                shadow.setdefault((m.rule_id, m.start, m.end), m)
            suppressed.extend(part.suppressed)
            if offset + size >= len(text):
                break
        return Verdict(tuple(sorted(matches.values(), key=_position)),
                       tuple(sorted(welfare.values(), key=_position)), tuple(suppressed),
                       tuple(sorted(shadow.values(), key=_position)))

    def _scan_chunk(self, text: str, offset: int, context: ScanContext,
                    findings: list[Finding] | None) -> Verdict:
        # Most messages fold without moving a character and hold only words known to need no re-spelling:
        # they get no position map and no layer object unless a rule needs one.
        folded = fold_plain(text)
        norm = normalize(text, squeeze_stretched=False) if folded is None else None
        words = _tokens(folded if norm is None else norm.text)
        layer: _Layer | None = None
        if not self._plain.issuperset(words):
            norm = norm or Normalized(text, folded or "")
            layer, words = self._respell_layer(norm, words)
        tokens = set(words)
        raws: list[_Raw] = []
        # One set test keeps most messages (no rule word anywhere) off every term look-up and pattern.
        if self._untriggered or not tokens.isdisjoint(self._trigger_keys):
            norm = norm or Normalized(text, folded or "")
            layer = layer or _Layer(norm.text)
            joined = _Joined(words)
            if not tokens.isdisjoint(self._term_keys):
                self._match_terms(layer, norm, tokens, joined, raws)
            if (self._untriggered or not tokens.isdisjoint(self._pattern_keys)
                    or not tokens.isdisjoint(self._bigram_firsts) or not tokens.isdisjoint(self._phrase_keys)):
                self._match_patterns(layer, norm, tokens, words, joined, raws)
            elif raws and any(r.rule.effect is RuleEffect.BREACH and r.rule.clause in COUNTERABLE_CLAUSES
                              for r in raws):
                self._match_counters(layer, norm, tokens, joined, raws)
        if self._validator_rules:
            digits = len(_DIGIT.findall(text))  # at least as many as the longest run: a cheap first cut
            if digits or self._validator_always or any(char in text for char in self._validator_chars):
                self._match_validators(text, digits, words, tokens, raws)
        if not raws:
            return _NOTHING
        norm = norm or Normalized(text, folded or "")
        return self._decide(raws, text, layer or _Layer(norm.text), offset, context, findings)

    def _match_validators(self, text: str, digits: int, words: list[str], tokens: set[str],
                          raws: list[_Raw]) -> None:
        """Validators whose cheap needs (enough digits, a hint such as an @, a context word) the message meets."""
        visible, kept = (text, None) if text.isascii() else _without_invisible(text)
        hinted: dict[re.Pattern[str], bool] = {}  # several validators share a hint: search once
        joined: str | None = None
        # Sorted by the digits they need: those needing more than the message has are never visited.
        wanted = self._validator_rules[: bisect.bisect_right(self._validator_digits, digits)]
        for rule, validator, _min_digits, options, hint in wanted:
            if hint is not None:
                found = hinted.get(hint)
                if found is None:
                    found = hinted[hint] = hint.search(visible) is not None
                if not found:
                    continue
            # A rule that needs a context word ("born", "student number") cannot fire if none is present.
            if rule.context.require and tokens.isdisjoint(self._required_context[rule.id]):
                if tokens.isdisjoint(self._required_firsts[rule.id]):
                    continue
                if joined is None:
                    joined = f" {' '.join(words)} "
                if not any(phrase in joined for phrase in self._required_phrases[rule.id]):
                    continue
            try:
                if validator.prefilter(visible):
                    self._match_validator(rule, validator, options, visible, kept, raws)
            except Exception:
                log.exception("validator failed; the rest of the scan goes on", extra={"rule": rule.id})

    def _match_terms(self, layer: _Layer, norm: Normalized, tokens: set[str], joined: _Joined,
                     raws: list[_Raw]) -> None:
        wanted: set[tuple[str, ...]] = set()
        for token in tokens & self._term_keys:
            for phrase, _rule in self._term_index[token]:
                if len(phrase) == 1 or f" {' '.join(phrase)} " in joined.text:
                    wanted.add(phrase)
        if not wanted:
            return
        positions = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(layer.text)]
        words = [p[0] for p in positions]
        for index, word in enumerate(words):
            entries = self._term_index.get(word)
            if not entries or word in self._allowlist:
                continue
            for phrase, rule in entries:
                last = index + len(phrase)
                if phrase not in wanted or tuple(words[index:last]) != phrase:
                    continue
                start, end = positions[index][1], positions[last - 1][2]
                raws.append(self._raw(rule, start, end, layer, norm, rule.confidence))

    def _match_patterns(self, layer: _Layer, norm: Normalized, tokens: set[str], words: list[str],
                        joined: _Joined, raws: list[_Raw]) -> None:
        selected: dict[str, Rule] = {r.id: r for r in self._untriggered}
        for token in tokens & self._pattern_keys:
            for rule in self._pattern_index[token]:
                selected.setdefault(rule.id, rule)
        if not tokens.isdisjoint(self._bigram_firsts):
            for bigram in set(itertools.pairwise(words)) & self._bigram_keys:
                for rule in self._bigram_index[bigram]:
                    selected.setdefault(rule.id, rule)
        for token in tokens & self._phrase_keys:
            for phrase, rule in self._phrase_index[token]:
                if rule.id not in selected and phrase in joined.text:
                    selected[rule.id] = rule
        gates = self._literal_gates
        for rule in selected.values():
            if rule.requires and tokens.isdisjoint(rule.requires):
                continue
            gate = gates.get(rule.id)
            if gate is None or gate.search(layer.text) is not None:
                self._run_pattern(rule, layer, norm, raws)
        if raws and any(r.rule.effect is RuleEffect.BREACH and r.rule.clause in COUNTERABLE_CLAUSES for r in raws):
            self._match_counters(layer, norm, tokens, joined, raws)

    def _match_counters(self, layer: _Layer, norm: Normalized, tokens: set[str], joined: _Joined,
                        raws: list[_Raw]) -> None:
        """Counter-speech rules, run only when there is a breach they could withdraw."""
        counters: dict[str, Rule] = {}
        for token in tokens & self._counter_keys:
            for phrase, rule in self._counter_index[token]:
                if (rule.id not in counters and (" " not in phrase.strip() or phrase in joined.text)
                        and not (rule.requires and tokens.isdisjoint(rule.requires))):
                    counters[rule.id] = rule
        for rule in counters.values():
            self._run_pattern(rule, layer, norm, raws)

    def _run_pattern(self, rule: Rule, layer: _Layer, norm: Normalized, raws: list[_Raw]) -> None:
        assert rule.compiled is not None
        try:
            for found in rule.compiled.finditer(layer.text, timeout=self.settings.pattern_timeout):
                if found.end() > found.start():
                    raws.append(self._raw(rule, found.start(), found.end(), layer, norm, rule.confidence))
        except TimeoutError:
            # The rule id, never the message: content is logged at DEBUG only.
            log.warning("pattern %s timed out after %.2fs and was skipped for this message", rule.id,
                        self.settings.pattern_timeout, extra={"rule": rule.id})

    @staticmethod
    def _match_validator(rule: Rule, validator: Validator, options: Mapping[str, Any], text: str,
                         kept: list[int] | None, raws: list[_Raw]) -> None:
        """Run one validator on the text without invisible characters; spans go back to the original."""
        for candidate in validator.find(text, options):
            if 0 <= candidate.start < candidate.end <= len(text):
                confidence = min(rule.confidence, candidate.confidence) if candidate.confidence else rule.confidence
                start, end = candidate.start, candidate.end
                if kept is not None:
                    start, end = kept[start], kept[end - 1] + 1
                raws.append(_Raw(rule, -1, -1, start, end, confidence))

    @staticmethod
    def _raw(rule: Rule, start: int, end: int, layer: _Layer, norm: Normalized, confidence: float) -> _Raw:
        folded_start, folded_end = layer.to_folded(start, end)
        orig_start, orig_end = norm.to_original(folded_start, folded_end)
        return _Raw(rule, start, end, orig_start, orig_end, confidence)

    # -- deciding ---------------------------------------------------------------------------------------

    def _decide(self, raws: list[_Raw], text: str, layer: _Layer, offset: int, context: ScanContext,
                findings: list[Finding] | None) -> Verdict:
        counters = [r for r in raws if r.rule.effect is RuleEffect.COUNTER and r.start >= 0]
        sentences = _SentenceMap(layer.text) if counters else None
        breaches: list[Match] = []
        welfare: list[Match] = []
        suppressed: list[tuple[Match, str]] = []
        shadow: list[Match] = []
        reach: dict[str, int] = {}  # per rule, the furthest end kept so far: nested repeats are dropped
        for raw in sorted(raws, key=lambda r: (r.orig_start, -(r.orig_end - r.orig_start), r.rule.id)):
            rule = raw.rule
            if raw.orig_end <= reach.get(rule.id, -1):
                continue
            reach[rule.id] = raw.orig_end
            if len(breaches) >= _MAX_MATCHES_PER_MESSAGE:
                break  # a message with this many breaches is plainly flagged; more spans add nothing
            confidence, why_not = self._judge(raw, text, layer, context, sentences, counters)
            match = Match(rule.id, rule.clause, rule.category, raw.orig_start + offset, raw.orig_end + offset,
                          rule.severity, round(confidence, 3), rule.effect, rule.tier)
            if why_not is None and confidence < self.settings.min_confidence:
                why_not = f"confidence {confidence:.2f} below {self.settings.min_confidence:.2f}"
            if why_not is None and rule.pack in OWNERSHIP_PACKS:
                match, why_not = judge_ownership(match, text, offset, kind=OWNERSHIP_PACKS[rule.pack])
            match = for_audience(match, context)
            if why_not is not None:
                if rule.effect is RuleEffect.BREACH and len(suppressed) < _MAX_MATCHES_PER_MESSAGE:
                    suppressed.append((match, why_not))
                status = why_not
            elif rule.effect is RuleEffect.BREACH and rule.tier is Tier.SHADOW:
                shadow.append(match)
                status = "shadow"
            elif rule.effect is RuleEffect.BREACH:
                breaches.append(match)
                status = "breach"
            elif rule.effect is RuleEffect.WELFARE:
                welfare.append(match)
                status = "welfare"
            else:
                status = "counter"
            if findings is not None:
                findings.append(Finding(match, status))
        return Verdict(tuple(breaches), tuple(welfare), tuple(suppressed), tuple(shadow))

    def _judge(self, raw: _Raw, text: str, layer: _Layer, context: ScanContext,
               sentences: _SentenceMap | None, counters: list[_Raw]) -> tuple[float, str | None]:
        """Return the match's confidence and, when it is withdrawn, why."""
        rule = raw.rule
        if rule.audience is AudienceScope.UNDER18 and context.audience is not Audience.UNDER18:
            return rule.confidence, "applies only where the audience may be under 18"
        in_layer = raw.start >= 0
        if in_layer and self._touches_allowlist(layer.text, raw.start, raw.end):
            return rule.confidence, "allowlisted word"
        if rule.exceptions and self._in_exception(rule, text, layer, raw):
            return rule.confidence, "exception phrase"
        if in_layer and rule.negatable and _negated(layer.text, raw.start, raw.end):
            return rule.confidence, "negated"
        if (in_layer and sentences is not None and rule.effect is RuleEffect.BREACH
                and rule.clause in COUNTERABLE_CLAUSES
                and any(sentences.challenges(layer.text, counter, raw) for counter in counters)):
            return rule.confidence, "counter-speech or quoting to challenge"
        confidence = raw.confidence
        ctx = rule.context
        if ctx.raise_words or ctx.lower_words:
            window = normalize(text[max(0, raw.orig_start - ctx.window): raw.orig_end + ctx.window]).text
            near = set(_WORD.findall(window))
            raised = sum(1 for w in ctx.raise_words if (w in near if " " not in w else w in window))
            lowered = sum(1 for w in ctx.lower_words if (w in near if " " not in w else w in window))
            if ctx.require and not raised:
                return confidence, "needs a context word nearby"
            confidence = max(0.0, min(1.0, confidence + 0.1 * raised - 0.3 * lowered))
        return confidence, None

    def _touches_allowlist(self, text: str, start: int, end: int) -> bool:
        """Whether the match begins or ends inside an allowlisted word ("cock" in "cocktail")."""
        if not self._allowlist:
            return False
        return self._word_at(text, start) in self._allowlist or self._word_at(text, end - 1) in self._allowlist

    @staticmethod
    def _word_at(text: str, position: int) -> str:
        left = right = position
        while left > 0 and (text[left - 1].isalnum() or text[left - 1] == "'"):
            left -= 1
        while right < len(text) and (text[right].isalnum() or text[right] == "'"):
            right += 1
        return text[left:right]

    def _in_exception(self, rule: Rule, text: str, layer: _Layer, raw: _Raw) -> bool:
        if raw.start >= 0:
            haystack, start, end = layer.text, raw.start, raw.end
        else:
            haystack, start, end = text.lower(), raw.orig_start, raw.orig_end
        for phrase in rule.exceptions:
            at = haystack.find(phrase, max(0, start - len(phrase)))
            while at != -1 and at < end:
                if (at <= start and end <= at + len(phrase)) or (at < end and start < at + len(phrase)):
                    return True
                at = haystack.find(phrase, at + 1)
        return False

    # -- re-spelling ------------------------------------------------------------------------------------

    def _respell_layer(self, norm: Normalized, words: list[str] | None = None) -> tuple[_Layer, list[str]]:
        """Re-spell words that are not English toward the rules' vocabulary, keeping a position map.

        Returns the layer and its words (the same tokens `_WORD` finds, in order); `words` may be passed in
        when the caller has already found them.
        """
        text = norm.text
        if words is None:
            words = _tokens(text)
        plain = self._plain
        if plain.issuperset(words):
            return _Layer(text), words
        cache = self._respelled
        if len(cache) > _RESPELL_CACHE_LIMIT:
            cache.clear()
            plain.clear()
        changed = False
        for word in set(words).difference(plain):  # only the words not yet known to be plain
            spelled = cache.get(word, "")
            if spelled == "":
                spelled = cache[word] = self._respell(word)
            if spelled is None:
                plain.add(word)
            else:
                changed = True
        if not changed:
            return _Layer(text), words
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        last = 0
        for found in _WORD.finditer(text):
            word = found.group()
            spelled = cache.get(word, "")
            if spelled == "":
                spelled = cache[word] = self._respell(word)
            if spelled is None:
                continue
            begin, finish = found.span()
            pieces.append(text[last:begin])
            starts.extend(range(last, begin))
            ends.extend(range(last + 1, begin + 1))
            pieces.append(spelled)
            if spelled.replace(" ", "") == word:  # a split: each letter keeps its own position
                cursor = begin
                for char in spelled:
                    if char == " ":
                        starts.append(cursor)
                        ends.append(cursor)
                    else:
                        starts.append(cursor)
                        ends.append(cursor + 1)
                        cursor += 1
            else:
                starts.extend([begin] * len(spelled))
                ends.extend([finish] * len(spelled))
            last = finish
        pieces.append(text[last:])
        starts.extend(range(last, len(text)))
        ends.extend(range(last + 1, len(text) + 1))
        respelled = "".join(pieces)
        return _Layer(respelled, starts, ends), _tokens(respelled)

    def _respell(self, word: str) -> str | None:
        """The word the rules know that `word` was meant to be, or None to leave it as it is."""
        vocabulary = self._vocabulary
        if word in vocabulary or word in self._allowlist:
            return None
        if word.endswith("'s") and _ALPHA.match(word[:-2]):  # "muslm's": re-spell the word, keep the possessive
            base = self._respell(word[:-2])
            return f"{base}'s" if base is not None and " " not in base else None
        if not _ALPHA.match(word):
            return None
        if _DOUBLED.search(word):
            for variant in _squeezed_variants(word):
                if variant in vocabulary:
                    return variant
        if word in self._english or len(word) < 4:
            return None
        if word[0] in "ia" and word[1:] in self._vocabulary:  # "ihate": the pronoun or article run in
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
        english, vocabulary = self._english, self._vocabulary
        for cut in range(2, len(word) - 1):
            left, right = word[:cut], word[cut:]
            if left in self._allowlist or right in self._allowlist:
                continue
            known_left = left in vocabulary or (left in english and self._common(left))
            known_right = right in vocabulary or (right in english and self._common(right))
            long_enough = all(len(part) >= 3 or part in _SHORT_WORDS for part in (left, right))
            if known_left and known_right and long_enough and (left in vocabulary or right in vocabulary):
                return f"{left} {right}"
        return None

    def _common(self, word: str) -> bool:
        """Whether an English word is common enough to be half of two words run together ("hoo" is not, so
        "hoodies" stays whole)."""
        frequency = self._frequency
        return word in _SHORT_WORDS or frequency.get(word, _COMMON_WORD) >= _COMMON_WORD


def _cover(phrases: list[list[str]], frequency: Mapping[str, int]) -> set[str]:
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


def _without_invisible(text: str) -> tuple[str, list[int] | None]:
    """The text without zero-width and direction characters (a phone number split by U+200B is still one),
    and the original index of each character kept (None when nothing was removed)."""
    if not _INVISIBLE.search(text):
        return text, None
    kept = [index for index, char in enumerate(text) if not _INVISIBLE.match(char)]
    return "".join(text[index] for index in kept), kept


def _tokens(text: str) -> list[str]:
    """The words of folded text, as `_WORD` finds them (one regex pass beats splitting and stripping)."""
    return _WORD.findall(text)


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


def _negated(text: str, start: int, end: int) -> bool:
    """A negator in the match's last clause, or (for a one-clause match) among the few words before it.

    Idioms whose negative word negates nothing ("can't stand", "don't forget", "no doubt") are read past.
    """
    inside = _NEGATION_IDIOMS.sub(" ", text[start:end])
    breaks = list(_CLAUSE_BREAK.finditer(inside))
    if breaks:  # a long match: only its final clause ("...won't change. let's eradicate them") can negate
        return any(w in NEGATORS for w in _WORD.findall(inside[breaks[-1].end():]))
    if any(w in NEGATORS for w in _WORD.findall(inside)):
        return True
    before = _NEGATION_IDIOMS.sub(" ", text[max(0, start - 60): start])
    clause_breaks = list(_CLAUSE_BREAK.finditer(before))
    if clause_breaks:
        before = before[clause_breaks[-1].end():]
    return any(w in NEGATORS for w in _WORD.findall(before)[-_NEGATION_LOOKBACK:])


class _SentenceMap:
    """Sentences and quotations of a text; punctuation inside quotes does not end a sentence."""

    __slots__ = ("_ends", "_quote_starts", "_quoted")

    def __init__(self, text: str) -> None:
        self._quoted = [(q.start(), q.end()) for q in _QUOTED.finditer(text)]  # in order, not overlapping
        self._quote_starts = [begin for begin, _ in self._quoted]
        self._ends = [mark.end() for mark in _SENTENCE_END.finditer(text) if not self._in_quote(mark.start())]

    def _in_quote(self, position: int) -> bool:
        at = bisect.bisect_right(self._quote_starts, position) - 1
        return at >= 0 and position < self._quoted[at][1]

    def index_of(self, position: int) -> int:
        """The number of the sentence holding `position` (0 for the first)."""
        return bisect.bisect_right(self._ends, position)

    def challenges(self, text: str, counter: _Raw, breach: _Raw) -> bool:
        """Whether a counter cue covers a breach: the breach is quoted in the cue's sentence, or sits in the
        same clause with no comma, semicolon or colon between them ("stop posting, you <slur>" is not covered)."""
        if self.index_of(counter.start) != self.index_of(breach.start):
            return False
        if self._in_quote(breach.start):
            return True
        gap = text[min(counter.end, breach.end): max(counter.start, breach.start)]
        return not _CLAUSE_PUNCTUATION.search(gap)


def _position(match: Match) -> tuple[int, int]:
    return match.start, match.end


@lru_cache(maxsize=1)
def load_default_scanner() -> Scanner:
    """The scanner over the built-in rule packs (cached: build once per process)."""
    return Scanner.from_directories()
