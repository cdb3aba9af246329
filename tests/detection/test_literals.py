"""Literal prefilters: the strings `required_literals` derives must appear in every match of the pattern, so a
prefilter built from them can never hide a real match; and every built-in rule's own examples pass its gate."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.detection.index import LiteralGates, literal_gates
from bot.detection.literals import required_literals
from bot.detection.normalize import normalize
from bot.detection.rules import word_alternation
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
def test_every_match_holds_one_of_the_literals(pattern: str, data: st.DataObject) -> None:
    literals = required_literals(pattern)
    text = data.draw(st.from_regex(re.compile(pattern), fullmatch=False))
    match = re.search(pattern, text)
    assert match is not None
    if literals is not None:
        assert any(literal in match.group() for literal in literals), (literals, match.group())


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


def test_the_one_pass_gates_admit_exactly_what_each_patterns_own_search_admits() -> None:
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
        for rule_id, search in searches.items():
            assert gates.admits(rule_id, layer.text, present) == (search.search(layer.text) is not None), (
                rule_id, text)
            assert gates.admits(rule_id, layer.text, None) == (search.search(layer.text) is not None)
