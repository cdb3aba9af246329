"""Hate spans mark the hostile words, not the frame: a group named and then insulted or threatened as "they" /
"them" reports the insult or the threat, not the sentence in between; a contempt word after the group reports
that word. Spans are checked on the original text."""

from __future__ import annotations

from bot.detection.scanner import load_default_scanner
from bot.models import ScanContext

SCANNER = load_default_scanner()


def _spans(text: str, rule_id: str) -> set[str]:
    verdict = SCANNER.scan(text, ScanContext())
    assert verdict.flagged, text
    return {text[m.start:m.end] for m in verdict.matches if m.rule_id == rule_id}


def test_a_group_then_a_threat_as_them_reports_the_threat_only() -> None:
    text = "Those Romanians never pay rent on time. We should Exterminate them."
    assert _spans(text, "hate.pronoun-reference") == {"Exterminate them"}


def test_a_group_then_contempt_as_they_reports_the_contempt_only() -> None:
    text = "Met some refugees at the station today.  They are just FILTH."
    spans = _spans(text, "hate.pronoun-reference")
    assert spans == {"They are just FILTH"}
    assert not any("refugees" in span for span in spans)


def test_contempt_named_before_the_group_reports_the_contempt() -> None:
    text = "They are such vermin. Obviously they are Catholics."
    assert _spans(text, "hate.pronoun-reference") == {"They are such vermin"}


def test_a_contempt_word_some_words_after_the_group_reports_that_word() -> None:
    assert _spans("pakistanis round here are mostly just Parasites", "hate.contempt-attribute") == {"Parasites"}
    assert _spans("Hindus are nothing but rats", "hate.contempt-attribute") == {"rats"}
