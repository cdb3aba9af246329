"""`kind: pattern`: a regex over the re-spelled text, run only when one of its trigger words is present."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import regex

from bot.detection.alternatives import Alternatives, alternatives
from bot.detection.index import LiteralGates, TriggerIndex, pattern_gates, possible_alternatives
from bot.detection.judge import is_counterable_breach
from bot.detection.kinds.base import KindEnv, PackContext
from bot.detection.literals import alternative_widths, literal_clauses, required_literals
from bot.detection.message import Message, Raw
from bot.detection.model import Rule
from bot.detection.packtext import expand_macros, expand_placeholders, expand_triggers, pattern_words, string_list
from bot.detection.pattern_safety import readable, structural_risk
from bot.detection.plainre import PlainForm, plain_form
from bot.errors import RulePackError

log = logging.getLogger(__name__)

# For patterns only the `regex` module can parse: a quantified group, with no alternatives, that itself ends in
# an unbounded quantifier, e.g. (a+)+, (\w*)*. Readable patterns get the full structural check.
_NESTED_QUANTIFIER = re.compile(r"\((?:\?:)?[^()|]*(?:[+*]|\{\d*,\})\)\??(?:[+*]|\{\d*,\})")
_PROBE_LIMIT = 1.0  # generous: a sound pattern needs microseconds on these probes, even on a loaded machine


def check_pattern_safety(compiled: regex.Pattern[str], source: str, *, probe: bool = True,
                         where: str = "") -> str | None:
    """Return why a pattern could stall a scan, or None when it looks safe.

    The decision is structural and deterministic (`bot.detection.pattern_safety`: nested quantifiers, ambiguous
    alternations under a quantifier, huge counts, backreferences). Patterns Python's parser cannot read fall
    back to a textual test for the (a+)+ shape. With `probe` (a committee's own pack, never a built-in one) the
    pattern is also run on a few short probes: only a probe that takes over a generous second is a rejection;
    time that merely grows faster than the text is logged as a warning, because a busy machine can fake it.
    The regex timeout at scan time remains the real guard.
    """
    expanded = compiled.pattern
    risk = structural_risk(expanded)
    if risk:
        return risk
    if not readable(expanded) and _NESTED_QUANTIFIER.search(source):
        return "nested quantifiers such as (a+)+ can take exponential time; rewrite without the outer quantifier"
    if not probe:
        return None
    for unit, tail in (("a", "!"), ("a ", "!"), ("1", "x"), ("aa", "\n"), ("ab", "!")):
        timings: list[float] = []
        for repeat in (400, 800):
            text = unit * repeat + tail
            started = time.perf_counter()
            try:
                compiled.search(text, timeout=_PROBE_LIMIT)
            except TimeoutError:
                return (f"took over {_PROBE_LIMIT:.1f}s on a {len(text):,}-character probe: "
                        "it backtracks catastrophically")
            timings.append(time.perf_counter() - started)
        if timings[1] > 0.02 and timings[1] > 3.5 * max(timings[0], 1e-6):
            log.warning("pattern may backtrack: its time grew much faster than a probe text; the scan timeout "
                        "will cut it off if it stalls", extra={"rule": where, "seconds": round(timings[1], 3)})
    return None


def hit_span(found: regex.Match[str] | re.Match[str], hits: list[str]) -> tuple[int, int] | None:
    """The span of the offending words a pattern marks with `(?P<hit>...)`, or None to report the whole match.

    Python's parser (used for the safety check and literal prefilters) refuses a group name used twice, so
    a pattern whose alternatives each mark their words names them `hit`, `hit_2`, ...: the first that took
    part in the match is reported.
    """
    for name in hits:
        start, end = found.span(name)
        if end > start:
            return start, end
    return None


_Engine = tuple[PlainForm | None, list[str], Alternatives | None]


class PatternKind:
    """Regex patterns with trigger words, `requires` words and placeholders for lexicons and macros."""

    name = "pattern"
    keys = frozenset({"pattern", "triggers", "requires"})

    def parse(self, raw: Mapping[str, Any], common: Mapping[str, Any], pack: PackContext) -> Rule:
        """A rule with its pattern expanded, compiled and checked for catastrophic backtracking."""
        source, rule_id = pack.source, pack.rule_id
        pattern = raw.get("pattern")
        if not isinstance(pattern, str) or not pattern.strip():
            raise RulePackError(source, "a pattern rule needs a 'pattern'", rule_id)
        # A long pattern may be written over several lines: each is stripped and they are joined with nothing.
        pattern = expand_macros("".join(line.strip() for line in pattern.splitlines()), pack.macros)
        expanded = expand_placeholders(pattern, pack.lexicons, source, rule_id)
        try:
            compiled = regex.compile(expanded)
        except regex.error as exc:
            raise RulePackError(source, f"pattern does not compile: {exc}", rule_id) from None
        unsafe = check_pattern_safety(compiled, pattern, probe=pack.probe, where=f"{source}: {rule_id}")
        if unsafe:
            raise RulePackError(source, f"pattern rejected: {unsafe}", rule_id)
        triggers = expand_triggers(string_list(raw.get("triggers"), source, "triggers", rule_id),
                                   pack.lexicons, source, rule_id)
        requires = frozenset(max(phrase.split(), key=len) for phrase in expand_triggers(
            string_list(raw.get("requires"), source, "requires", rule_id), pack.lexicons, source, rule_id))
        literals = required_literals(expanded)
        literal_clauses(expanded)  # worked out now, while Python's parse tree of the pattern is still cached
        return Rule(**common, pattern=pattern, compiled=compiled, triggers=triggers, requires=requires,
                    literals=literals)

    def compile(self, rules: Sequence[Rule], env: KindEnv) -> PatternMatcher:
        """Index the patterns by trigger and derive their literal prefilters."""
        return PatternMatcher(rules, env)


class PatternMatcher:
    """Patterns behind their triggers, `requires` words and literal prefilters; counter-speech cues run only
    once a breach they could withdraw is found."""

    gated = True

    def __init__(self, rules: Sequence[Rule], env: KindEnv) -> None:
        self._index = TriggerIndex(rules)
        self._gates = LiteralGates(rules)
        self._timeout = env.pattern_timeout
        words = {w for rule in rules for w in pattern_words(rule.pattern)}
        self.fuzzy_vocabulary = frozenset(words)
        self.vocabulary = frozenset(words | {w for rule in rules for t in rule.triggers for w in t.split()})
        self.gate_needs: Mapping[str, frozenset[frozenset[str]]] = pattern_gates(rules, env.frequency)
        self.gate_words = frozenset(self.gate_needs)
        self.always = bool(self._index.untriggered)
        # Per rule, its `re` form (None: `regex` only), the names of its `hit` groups, and its alternatives
        # compiled one by one where it splits cleanly (`bot.detection.alternatives`).
        self._plain: dict[str, _Engine] = {}

    def find(self, message: Message, raws: list[Raw]) -> None:
        """The triggered patterns' matches, then the counter-speech cues if a counterable breach was found."""
        tokens = message.tokens
        if self._index.reachable(tokens):
            selected = [rule for rule in self._index.select(tokens, message.words, message.joined).values()
                        if not (rule.requires and tokens.isdisjoint(rule.requires))]
            text = message.layer.text if message.layer else ""
            present = self._gates.present(text, sum(self._gates.gated(rule.id) for rule in selected))
            for rule in selected:
                if self._gates.admits(rule.id, text, present):
                    self._run(rule, message, raws, possible_alternatives(self._gates, rule.id, present))
        if raws and any(is_counterable_breach(r) for r in raws):
            for rule in self._index.select_counters(tokens, message.joined).values():
                self._run(rule, message, raws, None)

    def _engine(self, rule: Rule) -> _Engine:
        """The rule's `re` form (`bot.detection.plainre`), its `hit` group names and its alternatives, worked
        out on first use so a start that reaches few patterns compiles few, and a scan never rebuilds them."""
        try:
            return self._plain[rule.id]
        except KeyError:
            pass
        assert rule.compiled is not None
        hits = [name for name in rule.compiled.groupindex if name == "hit" or name.startswith("hit_")]
        plain = plain_form(rule.compiled.pattern, rule.compiled.flags)
        split = None
        if plain is not None and self._gates.clauses(rule.id) is not None:
            split = alternatives(rule.compiled.pattern, rule.compiled.flags,
                                 alternative_widths(rule.compiled.pattern), self._timeout)
        engine = self._plain[rule.id] = (plain, hits, split)
        return engine

    def _run(self, rule: Rule, message: Message, raws: list[Raw], possible: list[int] | None) -> None:
        assert rule.compiled is not None and message.layer is not None
        text = message.layer.text
        plain, hits, split = self._engine(rule)
        if split is not None and possible is not None and len(possible) < len(split.sources):
            try:
                found_alternatives = list(split.finditer(text, possible))
            except (re.error, regex.error):  # an alternative that does not compile alone: the whole runs instead
                self._plain[rule.id] = (plain, hits, None)
            except TimeoutError:
                log.warning("pattern %s timed out after %.2fs and was skipped for this message", rule.id,
                            self._timeout, extra={"rule": rule.id})
                return
            else:
                for found, _index in found_alternatives:
                    # The `hit` groups of the other alternatives, which took no part, are not in this one.
                    own = [name for name in hits if name in found.re.groupindex]
                    raws.append(message.raw(rule, found.start(), found.end(), rule.confidence, hit_span(found, own)))
                return
        found_all: Iterator[Any]
        try:
            if plain is None:
                found_all = rule.compiled.finditer(text, timeout=self._timeout)
            elif plain.exact:
                found_all = plain.compiled.finditer(text)
            else:  # the wider prefilter: no hit, no match; else `regex` from the first place one could start
                first = plain.compiled.search(text)
                if first is None:
                    return
                found_all = rule.compiled.finditer(text, pos=first.start(), timeout=self._timeout)
            for found in found_all:
                if found.end() > found.start():
                    raws.append(message.raw(rule, found.start(), found.end(), rule.confidence,
                                            hit_span(found, hits)))
        except TimeoutError:
            # The rule id, never the message: content is logged at DEBUG only.
            log.warning("pattern %s timed out after %.2fs and was skipped for this message", rule.id,
                        self._timeout, extra={"rule": rule.id})
