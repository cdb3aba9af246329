"""The judge lowers a nudge-tier match to review where its evidence is weaker; shadow rules change nothing."""

from __future__ import annotations

import json
from pathlib import Path

from bot.detection.rules import load_rule_set
from bot.detection.scanner import Scanner, load_default_scanner
from bot.models import ScanContext, Tier
from tests.cli_inprocess import InProcessCli

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
  - id: tiers.frame
    kind: pattern
    clause: "5.5.1"
    category: Hating gremlin people
    pattern: '\\bi hate (?P<hit>gremlin) (?:people|folk)\\b'
    triggers: ["hate"]
"""


def _scanner(tmp_path: Path) -> Scanner:
    (tmp_path / "tiers.yaml").write_text(PACK, encoding="utf-8")
    return Scanner(load_rule_set([tmp_path], validator_names=[]), validators={})


def test_spaced_letters_land_in_review_and_a_plain_match_stays_nudge(cli: InProcessCli, tmp_path: Path) -> None:
    # In-process: `scan` has its subprocess smoke test in test_cli_detection.py.
    lines = [{"id": "plain", "text": "you absolute gremlin"}, {"id": "spaced", "text": "you absolute g r e m l i n"}]
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "tiers.yaml").write_text(PACK, encoding="utf-8")
    result = cli("scan", "--rules-dir", tmp_path / "rules", stdin="".join(json.dumps(x) + "\n" for x in lines))
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


def test_words_run_together_in_an_insult_frame_stay_nudge() -> None:
    scanner = load_default_scanner()
    assert scanner.scan("you are an idiot", ScanContext()).flagged
    framed = scanner.scan("you are an stupididiot", ScanContext())
    assert framed.flagged, "the plain words of the insult's frame corroborate the split word"


def _tiers_by_rule(scanner: Scanner, text: str) -> dict[str, Tier]:
    return {m.rule_id: m.tier for m in scanner.scan(text, ScanContext()).matches}


def test_each_weaker_kind_of_evidence_alone_lands_in_review(tmp_path: Path) -> None:
    scanner = _scanner(tmp_path)
    for text in ("g r e m l i n", "gremiln", "gremlinpeople"):  # joined, re-spelled, split: nothing else
        verdict = scanner.scan(text, ScanContext())
        assert verdict.held_for_review and not verdict.flagged, text
        assert _tiers_by_rule(scanner, text) == {"tiers.gremlin": Tier.REVIEW}, text


def test_each_weaker_kind_of_evidence_in_a_plain_frame_keeps_the_rule_tier(tmp_path: Path) -> None:
    scanner = _scanner(tmp_path)
    for text, why in (("i hate g r e m l i n people", "joined spaced letters"),
                      ("i hate gremiln people", "re-spelled a typo"),
                      ("i hate gremlinpeople", "split run-together words")):
        tiers = _tiers_by_rule(scanner, text)
        # The pattern's plain words corroborate the one weaker word; the bare term still has only that word.
        assert tiers == {"tiers.frame": Tier.NUDGE, "tiers.gremlin": Tier.REVIEW}, text
        assert scanner.scan(text, ScanContext()).flagged, text
        findings = {f.match.rule_id: f for f in scanner.explain(text).findings if f.status == "breach"}
        assert findings["tiers.frame"].evidence == () and findings["tiers.frame"].corroborated == (why,), text
        assert findings["tiers.gremlin"].evidence == (why,) and findings["tiers.gremlin"].corroborated == (), text


def test_a_lowering_context_word_lowers_even_a_plain_match(tmp_path: Path) -> None:
    scanner = _scanner(tmp_path)
    assert _tiers_by_rule(scanner, "that goblin in the game") == {"tiers.careful": Tier.REVIEW}


def test_explain_says_when_plain_words_corroborate_weaker_evidence(cli: InProcessCli, clean_env) -> None:
    # In-process: `explain` has its subprocess smoke test in test_cli_detection.py.
    result = cli("explain", "you are an stupididiot", env={**clean_env, "COLUMNS": "240"})
    assert result.returncode == 0, result.stderr
    assert "nudge (split run-together words, corroborated by the plain words around it)" in result.stdout
