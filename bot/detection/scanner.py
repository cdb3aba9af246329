"""Decides whether a message breaches a clause, which one and where: pure, synchronous and fast.

The orchestrator. Rules are compiled once, each kind by its own object (bot.detection.kinds). A message is
folded (bot.detection.normalize), its words are re-spelled toward the rules' vocabulary where they are not
English words (bot.detection.respell); one set test against the gate words keeps most messages away from every
term and pattern; the kinds find candidates (bot.detection.index holds their indexes); the judge
(bot.detection.judge) withdraws or keeps each one. Every match is reported as a span of the original text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.detection import cache
from bot.detection.judge import COUNTERABLE_CLAUSES, NEGATORS, NOTHING, Finding, Judge
from bot.detection.kinds import KINDS, KindEnv, KindMatcher
from bot.detection.masked import MaskedMatcher
from bot.detection.message import Layer, Message, Raw, tokens
from bot.detection.model import PATTERN_TIMEOUT, Rule, RuleSet
from bot.detection.normalize import Normalized, fold_plain, normalize
from bot.detection.respell import Respeller, known_words, word_frequencies
from bot.detection.rules import load_rule_set
from bot.detection.validators import VALIDATORS, Validator
from bot.models import Match, ScanContext, Verdict
from bot.resources import rules_dir

__all__ = ["COUNTERABLE_CLAUSES", "NEGATORS", "Explanation", "Finding", "Scanner", "ScannerSettings",
           "known_words", "load_default_scanner", "word_frequencies"]

log = logging.getLogger(__name__)

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
class Explanation:
    """Everything `nudgebot explain` shows: the folded and re-spelled text and every candidate."""

    normalized: str
    respelled: str
    findings: tuple[Finding, ...]
    verdict: Verdict


class Scanner:
    """All rule packs compiled for scanning; build once, then call `scan` for every message."""

    def __init__(self, rule_set: RuleSet, settings: ScannerSettings | None = None,
                 validators: Mapping[str, Validator] | None = None,
                 english: frozenset[str] | None = None) -> None:
        self.rule_set = rule_set
        self.settings = settings or ScannerSettings()
        env = KindEnv(word_frequencies(), rule_set.allowlist, dict(VALIDATORS if validators is None else validators),
                      self.settings.pattern_timeout, self.settings.validator_options)
        by_kind: dict[str, list[Rule]] = {name: [] for name in KINDS}
        for rule in rule_set.rules:
            by_kind[str(rule.kind)].append(rule)
        matchers: list[KindMatcher] = [KINDS[name].compile(rules, env) for name, rules in by_kind.items()]
        self._gated = [m for m in matchers if m.gated]
        self._ungated = [m for m in matchers if not m.gated]
        self._ungated.append(MaskedMatcher(by_kind["terms"], known_words() if english is None else english))
        self._always = any(m.always for m in self._gated)
        self._gate_words = frozenset().union(*(m.gate_words for m in self._gated))
        self._gate_needs = _gate_needs(self._gated)
        lexicon_words = {w for words in rule_set.lexicons.values() for phrase in words for w in tokens(phrase)}
        self._respeller = Respeller(lexicon_words.union(*(m.vocabulary for m in matchers)),
                                    lexicon_words.union(*(m.fuzzy_vocabulary for m in matchers)),
                                    rule_set.allowlist, known_words() if english is None else english,
                                    word_frequencies())
        self._judge = Judge(rule_set.allowlist, self.settings.min_confidence)

    @classmethod
    def from_directories(cls, extra: Sequence[Path] = (), settings: ScannerSettings | None = None, *,
                         use_cache: bool = True) -> Scanner:
        """Build a scanner from the built-in packs plus a committee's own pack directories.

        The built scanner is cached (bot.detection.cache) under a key of every pack's bytes and the code's
        version: a pack that changes is loaded afresh, and a cache that does not match is never used.
        """
        directories = [rules_dir(), *extra]
        settings = settings or ScannerSettings()
        key = cache.cache_key(directories, VALIDATORS.keys(), settings) if use_cache else ""
        if key:
            cached = cache.load(key)
            if isinstance(cached, cls):
                return cached
        scanner = cls(load_rule_set(directories, validator_names=VALIDATORS.keys()), settings)
        if key:
            cache.store(key, scanner)
        return scanner

    @property
    def respeller(self) -> Respeller:
        """The re-spelling layer (for `explain` and tests)."""
        return self._respeller

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
        layer, _ = self._respeller.layer(norm)
        return Explanation(norm.text, layer.text, tuple(findings), verdict)

    def _run(self, text: str, context: ScanContext, findings: list[Finding] | None) -> Verdict:
        size = self.settings.chunk_size
        if len(text) <= size:
            return self._scan_chunk(text, 0, context, findings)
        # Long messages are scanned in overlapping windows so time grows with length, within a deadline.
        deadline = time.monotonic() + self.settings.max_scan_seconds
        step = size - self.settings.chunk_overlap
        parts: list[Verdict] = []
        for offset in range(0, len(text), step):
            if time.monotonic() > deadline:
                log.warning("scan stopped at the deadline", extra={"scanned_chars": offset, "length": len(text)})
                break
            parts.append(self._scan_chunk(text[offset: offset + size], offset, context, findings))
            if offset + size >= len(text):
                break
        return _merge(parts)

    def _scan_chunk(self, text: str, offset: int, context: ScanContext,
                    findings: list[Finding] | None) -> Verdict:
        # Most messages fold without moving a character and hold only words known to need no re-spelling:
        # they get no position map and no layer object unless a rule needs one.
        folded = fold_plain(text)
        norm = normalize(text, squeeze_stretched=False) if folded is None else None
        words = tokens(norm.text if norm is not None else folded or "")
        layer: Layer | None = None
        if not self._respeller.is_plain(words):
            norm = norm or Normalized(text, folded or "")
            layer, words = self._respeller.layer(norm, words)
        message = Message(text, words, norm, layer)
        raws: list[Raw] = []
        # One set test keeps most messages (no rule word anywhere) off every term look-up and pattern.
        if self._always or self._reaches(message.tokens):
            message.norm = norm = norm or Normalized(text, folded or "")
            message.layer = layer = layer or Layer(norm.text)
            for matcher in self._gated:
                matcher.find(message, raws)
        for matcher in self._ungated:  # each returns after one cheap test on most messages (a digit, a mask)
            matcher.find(message, raws)
        if not raws:  # the empty verdict: nothing to judge, no layer to build
            return NOTHING
        norm = norm or Normalized(text, folded or "")
        return self._judge.decide(raws, text, layer or Layer(norm.text), offset, context, findings, norm)

    def _reaches(self, tokens: set[str]) -> bool:
        """Whether a message with these words holds a gate word with whatever else it needs (`gate_needs`)."""
        if tokens.isdisjoint(self._gate_words):
            return False
        needs = self._gate_needs
        for word in tokens.intersection(self._gate_words):
            wanted = needs.get(word)
            if wanted is None or any(not tokens.isdisjoint(other) for other in wanted):
                return True
        return False


def _gate_needs(matchers: Sequence[KindMatcher]) -> dict[str, frozenset[frozenset[str]]]:
    """The gate words that lead nowhere alone, each with the word sets one of which must be there as well: a word
    that some gated kind needs nothing more for is left out (it always lets the message on)."""
    merged: dict[str, set[frozenset[str]]] = {}
    free: set[str] = set()
    for matcher in matchers:
        for word in matcher.gate_words:
            wanted = matcher.gate_needs.get(word)
            if not wanted:
                free.add(word)
            else:
                merged.setdefault(word, set()).update(wanted)
    return {word: frozenset(wanted) for word, wanted in merged.items() if word not in free}


def _merge(parts: Sequence[Verdict]) -> Verdict:
    """One verdict from the verdicts of overlapping chunks: a match found in two chunks counts once."""
    matches: dict[tuple[str, int, int], Match] = {}
    welfare: dict[tuple[str, int, int], Match] = {}
    shadow: dict[tuple[str, int, int], Match] = {}
    suppressed: list[tuple[Match, str]] = []
    for part in parts:
        for found, into in ((part.matches, matches), (part.welfare, welfare), (part.shadow, shadow)):
            for m in found:
                into.setdefault((m.rule_id, m.start, m.end), m)
        suppressed.extend(part.suppressed)
    return Verdict(tuple(sorted(matches.values(), key=_position)), tuple(sorted(welfare.values(), key=_position)),
                   tuple(suppressed), tuple(sorted(shadow.values(), key=_position)))


def _position(match: Match) -> tuple[int, int]:
    return match.start, match.end


@lru_cache(maxsize=1)
def load_default_scanner() -> Scanner:
    """The scanner over the built-in rule packs (cached: build once per process)."""
    return Scanner.from_directories()
