"""The gate in front of every term and pattern: a gate word lets a message on only with what its patterns also need."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detection.index import pattern_gates
from bot.detection.rules import load_rule_set
from bot.detection.scanner import Scanner

PACK = """
pack: gates
defaults: {clause: "5.5.3", category: Test, severity: medium}
rules:
  - id: test.citrus
    kind: pattern
    pattern: '\\banyone\\s+(?:\\w+\\s+)?(?P<hit>lemons)\\b'
    triggers: [anyone]
    requires: [lemons]
  - id: test.plain
    kind: pattern
    pattern: '\\bsomebody\\s+juggles\\b'
    triggers: [somebody]
  - id: test.shared
    kind: pattern
    pattern: '\\bsomebody\\s+(?:\\w+\\s+)?kumquats\\b'
    triggers: [somebody]
    requires: [kumquats]
  - id: test.word
    kind: terms
    terms: [frobnicate]
"""


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    (tmp_path / "gates.yaml").write_text(PACK, encoding="utf-8")
    return tmp_path


def test_a_pattern_gate_word_carries_the_other_word_set_it_needs(pack: Path) -> None:
    rules = [r for r in load_rule_set([pack], validator_names=[]).rules if r.kind == "pattern"]
    common_trigger = pattern_gates(rules, {"anyone": 900, "lemons": 3, "somebody": 5, "kumquats": 800})
    assert common_trigger["lemons"] == {frozenset({"anyone"})}  # the rarer set is the gate, the other its need
    rare_trigger = pattern_gates(rules, {"anyone": 3, "lemons": 900, "somebody": 5, "kumquats": 800})
    assert rare_trigger["anyone"] == {frozenset({"lemons"})}
    assert rare_trigger["somebody"] == frozenset()  # test.plain needs nothing more, whatever test.shared needs


def test_the_scanner_finds_the_same_matches_behind_the_stricter_gate(pack: Path) -> None:
    scanner = Scanner(load_rule_set([pack], validator_names=[]), validators={})
    found = scanner.scan("has anyone got lemons")
    assert [m.rule_id for m in found.matches] == ["test.citrus"]
    assert "has anyone got lemons"[found.matches[0].start:found.matches[0].end] == "lemons"
    assert not scanner.scan("has anyone got limes").matches
    assert not scanner.scan("lemons for everyone").matches
    assert [m.rule_id for m in scanner.scan("anyone here can frobnicate").matches] == ["test.word"]
    assert [m.rule_id for m in scanner.scan("somebody juggles").matches] == ["test.plain"]
    assert [m.rule_id for m in scanner.scan("somebody grows kumquats").matches] == ["test.shared"]
