"""The clause book: every clause of the policy is present, numbered as nudgebot exposes it, and searchable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.detection.clauses import load_policy
from bot.errors import RulePackError
from bot.resources import rules_dir

POLICY_TEXT = Path(__file__).resolve().parents[3] / "shared" / "policy" / "social-media-policy.txt"


def test_every_numbered_item_of_the_document_is_a_clause() -> None:
    if not POLICY_TEXT.exists():
        pytest.skip("the shared policy document is not beside this checkout")
    numbers = re.findall(r"^(\d+(?:\.\d+)+)\s", POLICY_TEXT.read_text(encoding="utf-8"), re.MULTILINE)
    # Heading 6 numbers its items 5.1-5.3 again; the book exposes them as 6.1-6.3.
    expected = {n for n in numbers[: numbers.index("5.6.6") + 1]} | {"6.1", "6.2", "6.3"}
    assert {c.id for c in load_policy().all()} == expected


def test_clause_text_is_as_written_and_has_plain_words() -> None:
    clause = load_policy().get("5.5.5")
    assert clause is not None
    assert clause.text.startswith("Breach confidentiality: for example, by revealing confidential information")
    assert clause.summary and clause.guidance and clause.heading


@pytest.mark.parametrize(("words", "clause"), [("insulting students", "5.5.3"), ("phone number", "5.5.5"),
                                               ("under 18", "5.2"), ("copyright", "5.5.4"), ("made a mistake", "5.6.6"),
                                               ("racist", "5.5.1"), ("5.5.2", "5.5.2")])
def test_search_finds_the_clause_first(words: str, clause: str) -> None:
    assert load_policy().search(words)[0].id == clause


def test_a_broken_clause_book_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("clauses:\n  - id: '1.1'\n", encoding="utf-8")
    with pytest.raises(RulePackError, match=str(bad)):
        load_policy(bad)


def test_every_rule_names_a_clause_in_the_book() -> None:
    from bot.detection.rules import load_rule_set
    from bot.detection.validators import VALIDATORS

    book = load_policy()
    rule_set = load_rule_set([rules_dir()], validator_names=VALIDATORS)
    assert [r.id for r in rule_set.rules if book.get(r.clause) is None] == []
