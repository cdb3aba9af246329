"""A pattern run as the alternatives its message's literals leave possible finds exactly the matches (and `hit`
spans) the whole pattern finds: the merge follows the alternation's leftmost-first rule, `regex`-only
alternatives (a variable-width lookbehind) included."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.detection.alternatives import alternatives, split_top_level
from bot.detection.index import LiteralGates, possible_alternatives
from bot.detection.kinds.pattern import PatternMatcher, hit_span
from bot.detection.literals import alternative_widths
from bot.detection.rules import load_rule_set
from bot.detection.scanner import Scanner

# Alternatives that share their first letters (Python's parser moves those out in front), overlap one another,
# and one that only `regex` runs (a lookbehind of two widths).
PATTERN = (r"\b(?P<hit>slugs?|snails?)\s+(?:are|were)\s+(?:\w+\s+)?vile\b"
           r"|\bsnails?\s+(?P<hit_2>slime)\b"
           r"|\bslime\s+(?:on|in)\s+(?P<hit_3>\w+)"
           r"|(?<=\bno\s|\bnot\s+)(?P<hit_4>slugs?)\b")
PACK = f"""
pack: snails
defaults: {{clause: "5.5.3", category: Test, severity: medium}}
rules:
  - id: test.snails
    kind: pattern
    pattern: '{PATTERN}'
    triggers: [slug, slugs, snail, snails, slime]
"""
WORDS = ["slug", "slugs", "snail", "snails", "slime", "are", "were", "very", "vile", "on", "in", "no", "not",
         "the", "garden", "  ", "\n"]


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    directory: Path = tmp_path_factory.mktemp("snails")
    (directory / "snails.yaml").write_text(PACK, encoding="utf-8")
    return Scanner(load_rule_set([directory], validator_names=[]), validators={})


def test_the_source_splits_only_at_top_level_bars() -> None:
    assert split_top_level(r"a(?:b|c)|[|]d|\|e|f") == ["a(?:b|c)", "[|]d", r"\|e", "f"]
    assert split_top_level(r"[]|]x|y") == ["[]|]x", "y"]
    assert split_top_level("plain") == ["plain"]


def test_a_pattern_that_does_not_split_cleanly_runs_whole() -> None:
    assert alternatives(r"(?i)cat|dog", 0, (3, 3), 1.0) is None  # inline flags hold for every alternative
    assert alternatives(r"cat|x*", 0, (3, 0), 1.0) is None  # an alternative that can match nothing
    assert alternatives(r"a|b", 0, alternative_widths(r"a|b"), 1.0) is None  # the parser made one class of it
    assert alternatives(r"cat|dog", 0, alternative_widths(r"cat|dog"), 1.0) is not None


def test_the_scanner_runs_the_pattern_as_alternatives(scanner: Scanner) -> None:
    matcher = next(m for m in scanner._gated if isinstance(m, PatternMatcher))
    rule = scanner.rule_set.rules[0]
    assert matcher._engine(rule)[2] is not None
    found = scanner.scan("the garden snails were very vile, and snail slime on everything")
    spans = sorted((m.start, m.end) for m in found.matches)
    text = "the garden snails were very vile, and snail slime on everything"
    # "snail slime" takes "slime", so "slime on everything" (which would start inside it) is not a match.
    assert [text[start:end] for start, end in spans] == ["snails", "slime"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=14))
def test_the_possible_alternatives_find_what_the_whole_pattern_finds(scanner: Scanner, words: list[str]) -> None:
    text = " ".join(words)
    rule = scanner.rule_set.rules[0]
    assert rule.compiled is not None
    hits = [name for name in rule.compiled.groupindex if name.startswith("hit")]
    expected = [(m.span(), hit_span(m, hits)) for m in rule.compiled.finditer(text) if m.end() > m.start()]
    gates = LiteralGates([rule])
    present = gates.present(text, 1)
    possible = possible_alternatives(gates, rule.id, present)
    assert possible is not None
    split = alternatives(rule.compiled.pattern, rule.compiled.flags, alternative_widths(rule.compiled.pattern), 1.0)
    assert split is not None and len(split.sources) == 4
    got = [(m.span(), hit_span(m, [h for h in hits if h in m.re.groupindex]))
           for m, _ in split.finditer(text, possible)]
    assert got == expected
