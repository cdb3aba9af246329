"""Rule kinds and validators are registered by name: a new kind is one object plus a registry entry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import bot.detection.rules
import bot.detection.scanner
from bot.detection.kinds import KINDS, KindEnv, PackContext
from bot.detection.message import Message, Raw
from bot.detection.model import Rule
from bot.detection.registry import Registry
from bot.detection.rules import load_rule_set
from bot.detection.scanner import Scanner
from bot.detection.validators import VALIDATORS, EmailValidator
from bot.errors import RulePackError
from bot.models import ScanContext


class ShoutKind:
    """A made-up kind: a rule fires on its word written in capitals in the original text."""

    name = "shout"
    keys = frozenset({"word"})

    def parse(self, raw: Mapping[str, Any], common: Mapping[str, Any], pack: PackContext) -> Rule:
        return Rule(**common, options={"word": str(raw["word"]).upper()})

    def compile(self, rules: Sequence[Rule], env: KindEnv) -> ShoutMatcher:
        return ShoutMatcher(rules)


class ShoutMatcher:
    gated = False
    always = False
    vocabulary: frozenset[str] = frozenset()
    fuzzy_vocabulary: frozenset[str] = frozenset()
    gate_words: frozenset[str] = frozenset()
    gate_needs: Mapping[str, frozenset[frozenset[str]]] = {}

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)

    def find(self, message: Message, raws: list[Raw]) -> None:
        for rule in self.rules:
            at = message.text.find(rule.options["word"])
            if at >= 0:
                raws.append(Raw(rule, -1, -1, at, at + len(rule.options["word"]), rule.confidence, in_layer=False))


def test_registries_refuse_a_name_already_taken() -> None:
    with pytest.raises(ValueError, match="already registered"):
        Registry("rule kind", [*KINDS.values(), ShoutKind(), ShoutKind()])
    with pytest.raises(ValueError, match="already registered"):
        Registry("validator", [*VALIDATORS.values(), EmailValidator()])


def test_a_new_kind_is_one_object_and_a_registry_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kinds = Registry("rule kind", [*KINDS.values(), ShoutKind()])
    monkeypatch.setattr(bot.detection.rules, "KINDS", kinds)
    monkeypatch.setattr(bot.detection.scanner, "KINDS", kinds)
    (tmp_path / "shout.yaml").write_text(
        "pack: shouting\nrules:\n  - id: shout.quiet\n    kind: shout\n    clause: '5.5.3'\n"
        "    category: Shouting\n    word: quiet\n", encoding="utf-8")
    scanner = Scanner(load_rule_set([tmp_path], validator_names=[]), validators={})
    assert [m.rule_id for m in scanner.scan("please be QUIET now", ScanContext()).matches] == ["shout.quiet"]
    assert not scanner.scan("please be quiet now", ScanContext()).matches


def test_an_unknown_kind_names_the_registered_ones(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(
        "pack: bad\nrules:\n  - id: bad.one\n    kind: shout\n    clause: '5.5.3'\n    category: X\n    terms: [a]\n",
        encoding="utf-8")
    with pytest.raises(RulePackError, match="terms, pattern, validator"):
        load_rule_set([tmp_path], validator_names=[])
