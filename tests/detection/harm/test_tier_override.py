"""A committee moves a built-in rule between tiers from its own pack (`tiers:`), without copying the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detection.scanner import Scanner
from bot.errors import RulePackError
from bot.models import Tier


def test_a_committee_pack_moves_a_built_in_rule_to_review(tmp_path: Path) -> None:
    (tmp_path / "ours.yaml").write_text("pack: ours\ntiers:\n  insult.targeted: review\n  insult.person: review\n"
                                        "  insult.person-word: review\n", encoding="utf-8")
    built_in = Scanner.from_directories(use_cache=False).scan("you absolute moron")
    ours = Scanner.from_directories([tmp_path], use_cache=False).scan("you absolute moron")
    assert built_in.tier is Tier.NUDGE
    assert ours.tier is Tier.REVIEW


def test_naming_a_rule_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "ours.yaml").write_text("pack: ours\ntiers:\n  insult.nonesuch: review\n", encoding="utf-8")
    with pytest.raises(RulePackError, match=r"insult\.nonesuch"):
        Scanner.from_directories([tmp_path], use_cache=False)
