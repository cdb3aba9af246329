"""Built-in packs are built once per process, and a pack whose text changes is built afresh, never served stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import bot.detection.rules
from bot.detection.rules import load_rule_set
from bot.resources import rules_dir

EXTRA_RULE = """
  - id: memo.added-rule
    kind: terms
    clause: "5.5.3"
    category: A word added after the first load
    terms: ["quokkabrain"]
"""


@pytest.fixture()
def built_in_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the built-in packs that the loader treats as the built-in folder (so it remembers them)."""
    copy = tmp_path / "rules"
    shutil.copytree(rules_dir(), copy)
    monkeypatch.setattr(bot.detection.rules, "rules_dir", lambda: copy)
    return copy


def test_an_unchanged_built_in_pack_is_built_once_per_process(built_in_copy: Path) -> None:
    first = load_rule_set([built_in_copy], validator_names=None)
    second = load_rule_set([built_in_copy], validator_names=None)
    assert [p.name for p in first.packs] == [p.name for p in second.packs]
    assert all(a is b for a, b in zip(first.packs, second.packs, strict=True))


def test_a_built_in_pack_whose_text_changed_is_rebuilt(built_in_copy: Path) -> None:
    before = load_rule_set([built_in_copy], validator_names=None)
    assert "memo.added-rule" not in {r.id for r in before.rules}
    pack = next(p for p in sorted(built_in_copy.glob("*.yaml")) if p.name != "policy.yaml"
                and "\nrules:\n" in p.read_text(encoding="utf-8"))
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace("\nrules:\n", "\nrules:\n" + EXTRA_RULE.lstrip("\n"), 1), encoding="utf-8")
    after = load_rule_set([built_in_copy], validator_names=None)
    assert "memo.added-rule" in {r.id for r in after.rules}
    assert len(after.rules) == len(before.rules) + 1
