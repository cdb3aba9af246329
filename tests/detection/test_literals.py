"""Literal prefilters: the strings `required_literals` derives must appear in every match of the pattern, so a
prefilter built from them can never hide a real match; and every built-in rule's own examples pass its gate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.detection.index import LiteralGates, literal_gates
from bot.detection.literals import literal_clauses, required_literals
from bot.detection.normalize import normalize
from bot.detection.rules import load_rule_set, word_alternation
from bot.detection.scanner import load_default_scanner

PATTERNS = [
    r"\b(?:i|we)\s+(?:ha(?:te|ve))\s+(?:all\s+)?(?:cats|dogs)\b",
    r"\bkill\s+(?:him|her)\b|\bwatch\s+your\s+back\b",
    r"(?:go\s+)?away(?:\s+now)?",
    r"\b(?:sick|tired)\s+of\s+[a-z]+",
    r"no(?:t|ne)?\s+(?:one|body)",
    r"[a-z]+ists?\b",  # nothing literal is required: no prefilter
]


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_match_holds_one_of_the_literals_and_of_every_set_of_one_alternative(pattern: str,
                                                                                    data: st.DataObject) -> None:
    literals = required_literals(pattern)
    clauses = literal_clauses(pattern)
    text = data.draw(st.from_regex(re.compile(pattern), fullmatch=False))
    match = re.search(pattern, text)
    assert match is not None
    if literals is not None:
        assert any(literal in match.group() for literal in literals), (literals, match.group())
    if clauses is not None:
        assert any(all(any(literal in match.group() for literal in need) for need in needs) for needs in clauses), (
            clauses, match.group())


def test_each_alternative_keeps_every_literal_set_it_needs() -> None:
    assert literal_clauses(r"\bkill\s+(?:him|her)\b|\bwatch\s+your\s+back\b") == (
        (frozenset({"kill"}), frozenset({"him", "her"})),
        (frozenset({"watch"}), frozenset({"your"}), frozenset({"back"})))
    # The second alternative needs nothing that can be told: it is always possible.
    assert literal_clauses(r"\bbad\b|[a-z]+") == ((frozenset({"bad"}),), ())
    assert literal_clauses(r"(?i)bad\s+egg") is None


def test_the_pass_rules_out_a_pattern_whose_alternative_lacks_one_of_its_words(tmp_path: Path) -> None:
    (tmp_path / "snails.yaml").write_text("""
pack: snails
defaults: {clause: "5.5.3", category: Test, severity: medium}
rules:
  - id: test.snails
    kind: pattern
    pattern: '\\b(?:snails?|slugs?)\\s+(?:\\w+\\s+)?(?:are|were)\\s+vile\\b|\\bsnail\\s+slime\\b'
    triggers: [snails, slugs, snail]
""", encoding="utf-8")
    rule = load_rule_set([tmp_path], validator_names=[]).rules[0]
    gates = LiteralGates([rule])
    for text, admitted in (("snails are vile", True), ("slugs really were vile", True), ("snail slime", True),
                           ("slugs were lovely", False), ("slugs, vile ones", False), ("vile weather", False)):
        assert gates.admits(rule.id, text, gates.present(text, 3)) is admitted, text
        assert not admitted or (rule.compiled is not None and rule.compiled.search(text)), text
    # The pattern's own search asks for one literal set only: it lets through what the pass rules out.
    assert gates.admits(rule.id, "slugs, vile ones", None)


def test_spellings_are_multiplied_out_into_whole_words() -> None:
    assert required_literals(r"\bha(?:te|ve|s)\s+[a-z]+") == frozenset({"hate", "have", "has"})


def test_a_pattern_with_an_optional_or_open_part_only_gives_what_is_certain() -> None:
    assert required_literals(r"(?:very\s+)?bad") == frozenset({"bad"})
    assert required_literals(r"[a-z]+ists?") == frozenset({"ist", "ists"})
    assert required_literals(r"\b[a-z]+\b") is None
    assert required_literals(r"(?i)bad") is None  # case-insensitive: literals would not be exact


def test_a_trie_shaped_word_list_gives_its_words() -> None:
    pattern = rf"\b{word_alternation(['women', 'woman', 'wolves'])}\s+are\b"
    literals = required_literals(pattern)
    assert literals is not None
    for word in ("women are", "woman are", "wolves are"):
        assert any(literal in word for literal in literals)


def test_every_built_in_rule_example_passes_its_own_gate() -> None:
    scanner = load_default_scanner()
    gates = literal_gates(scanner.rule_set.rules)
    for rule in scanner.rule_set.rules:
        gate = gates.get(rule.id)
        if gate is None:
            continue
        for example in rule.examples_match:
            layer, _ = scanner.respeller.layer(normalize(example, squeeze_stretched=False))
            if rule.compiled is not None and rule.compiled.search(layer.text):
                assert gate.search(layer.text), (rule.id, example)


def test_the_one_pass_gates_never_hide_a_match_and_admit_only_what_each_patterns_own_search_admits() -> None:
    scanner = load_default_scanner()
    rules = scanner.rule_set.rules
    searches = literal_gates(rules)
    gates = LiteralGates(rules)
    texts = [example for rule in rules for example in (*rule.examples_match, *rule.examples_no_match)]
    texts += ["see you at  training\non friday", "nothing in here at all"]
    for text in texts:
        layer, _ = scanner.respeller.layer(normalize(text, squeeze_stretched=False))
        present = gates.present(layer.text, len(searches))
        assert present is not None
        for rule in rules:
            search = searches.get(rule.id)
            if search is None:
                continue
            admitted = gates.admits(rule.id, layer.text, present)
            # The pass also checks each alternative's other literals, so it may rule out more than the search.
            assert not admitted or search.search(layer.text) is not None, (rule.id, text)
            if rule.compiled is not None and rule.compiled.search(layer.text):
                assert admitted, (rule.id, text)
            assert gates.admits(rule.id, layer.text, None) == (search.search(layer.text) is not None)
