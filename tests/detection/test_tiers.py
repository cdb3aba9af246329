"""The judge lowers a nudge-tier match to review where its evidence is weaker; shadow rules change nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bot.detection.rules import load_rule_set
from bot.detection.scanner import Scanner, load_default_scanner
from bot.models import ScanContext, Tier

PACK = """
pack: tiers
rules:
  - id: tiers.gremlin
    kind: terms
    clause: "5.5.3"
    category: Calling someone a gremlin
    terms: ["gremlin"]
    fuzzy: true
  - id: tiers.trial
    kind: terms
    clause: "5.5.3"
    category: A word on trial
    tier: shadow
    terms: ["wombatface"]
  - id: tiers.careful
    kind: terms
    clause: "5.5.3"
    category: A word with a lowering context
    terms: ["goblin"]
    context:
      lower: ["game"]
"""


def _scanner(tmp_path: Path) -> Scanner:
    (tmp_path / "tiers.yaml").write_text(PACK, encoding="utf-8")
    return Scanner(load_rule_set([tmp_path], validator_names=[]), validators={})


def test_spaced_letters_land_in_review_and_a_plain_match_stays_nudge(nudgebot_cmd, clean_env,
                                                                     tmp_path: Path) -> None:
    lines = [{"id": "plain", "text": "you absolute gremlin"}, {"id": "spaced", "text": "you absolute g r e m l i n"}]
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "tiers.yaml").write_text(PACK, encoding="utf-8")
    result = subprocess.run([*nudgebot_cmd, "scan", "--rules-dir", str(tmp_path / "rules")],
                            input="".join(json.dumps(x) + "\n" for x in lines), capture_output=True, text=True,
                            env=clean_env, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    plain, spaced = (json.loads(line) for line in result.stdout.splitlines())
    assert plain["flag"] is True and plain["review"] is False
    assert [m["tier"] for m in plain["matches"]] == ["nudge"]
    assert spaced["flag"] is False and spaced["review"] is True
    assert [(m["rule"], m["tier"]) for m in spaced["matches"]] == [("tiers.gremlin", "review")]


def test_a_typo_lands_in_review_and_explain_says_why(tmp_path: Path) -> None:
    scanner = _scanner(tmp_path)
    verdict = scanner.scan("you absolute gremiln", ScanContext())
    assert [m.tier for m in verdict.matches] == [Tier.REVIEW] and verdict.held_for_review
    assert not verdict.flagged
    finding = next(f for f in scanner.explain("you absolute gremiln").findings if f.status == "breach")
    assert finding.evidence == ("re-spelled a typo",)
    assert scanner.scan("you absolute gremlin", ScanContext()).flagged


def test_a_lowering_context_word_lands_in_review(tmp_path: Path) -> None:
    scanner = _scanner(tmp_path)
    assert scanner.scan("you goblin", ScanContext()).flagged
    lowered = scanner.scan("the goblin in that board game", ScanContext())
    assert lowered.held_for_review and [m.tier for m in lowered.matches] == [Tier.REVIEW]


def test_a_shadow_rule_match_lands_in_shadow_only(tmp_path: Path) -> None:
    verdict = _scanner(tmp_path).scan("what a wombatface", ScanContext())
    assert [m.rule_id for m in verdict.shadow] == ["tiers.trial"]
    assert verdict.matches == () and not verdict.flagged and not verdict.held_for_review


def test_words_run_together_land_in_review() -> None:
    scanner = load_default_scanner()
    plain = scanner.scan("you are an idiot", ScanContext())
    assert plain.flagged
    joined = scanner.scan("you are an stupididiot", ScanContext())
    assert joined.matches and not joined.flagged and joined.held_for_review
