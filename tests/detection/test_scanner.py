"""The scanner's machinery on a small pack written here: lookups, patterns, re-spelling, withdrawal rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.detection.rules import load_rule_set
from bot.detection.scanner import Scanner
from bot.errors import RulePackError
from bot.models import Audience, RuleEffect, ScanContext

PACK = """
pack: machinery
defaults: {clause: "5.5.1", category: Test hate, severity: high, negatable: true}
lexicons:
  test_group: [lecturers, "tall people", wizards]
  test_bad: [disgusting, vermin, worthless]
allowlist: [scunthorpe, therapist]
rules:
  - id: test.term
    kind: terms
    terms: [frobnicate, "kill yourself", rapist]
    negatable: false
  - id: test.hate
    kind: pattern
    pattern: '\\b(?:hate|despise)\\s+(?:all\\s+)?{test_group}\\b'
    triggers: [hate, despise]
  - id: test.attribute
    kind: pattern
    pattern: '\\b{test_group}\\s+are\\s+(?:\\w+\\s+){0,2}?{test_bad}\\b'
    triggers: ["{test_group}"]
  - id: test.threat
    kind: pattern
    pattern: '\\b(?:stab|killed)\\s+(?:all\\s+|those\\s+)?{test_group}\\b'
    triggers: [stab, killed]
  - id: test.kids
    kind: terms
    terms: [bloody]
    audience: under18
    clause: "5.2"
  - id: test.counter
    kind: pattern
    effect: counter
    pattern: '\\b(?:stop\\s+calling|posts\\s+like)\\b'
    triggers: [stop, posts]
  - id: test.welfare
    kind: pattern
    effect: welfare
    pattern: '\\bi\\s+want\\s+to\\s+disappear\\b'
    triggers: [disappear]
"""


@pytest.fixture
def scanner(tmp_path: Path) -> Scanner:
    (tmp_path / "machinery.yaml").write_text(PACK, encoding="utf-8")
    return Scanner(load_rule_set([tmp_path], validator_names=[]), validators={})


def spans(scanner: Scanner, text: str, audience: Audience = Audience.GENERAL) -> list[tuple[str, str]]:
    verdict = scanner.scan(text, ScanContext(audience=audience))
    return [(m.rule_id, text[m.start:m.end]) for m in verdict.matches]


def test_terms_and_phrases_match_whole_words(scanner: Scanner) -> None:
    assert spans(scanner, "just kill yourself") == [("test.term", "kill yourself")]
    assert spans(scanner, "please frobnicate it") == [("test.term", "frobnicate")]
    assert spans(scanner, "frobnicatez twice") == []  # terms are not typo-matched unless the rule opts in


def test_allowlisted_words_never_match(scanner: Scanner) -> None:
    assert spans(scanner, "my therapist in Scunthorpe") == []
    assert spans(scanner, "he is a rapist") == [("test.term", "rapist")]


def test_pattern_with_lexicon(scanner: Scanner) -> None:
    assert spans(scanner, "I hate all lecturers") == [("test.hate", "hate all lecturers")]
    assert spans(scanner, "Tall people are truly disgusting") == [
        ("test.attribute", "Tall people are truly disgusting")]


def test_homoglyph_evasion_is_reported_on_the_original_characters(scanner: Scanner) -> None:
    text = "I h\u0430te wiz\u0430rds"  # Cyrillic a
    assert spans(scanner, text) == [("test.hate", "h\u0430te wiz\u0430rds")]


def test_zero_width_split_is_caught(scanner: Scanner) -> None:
    assert spans(scanner, "fro\u200bbni\u200ccate") == [("test.term", "fro\u200bbni\u200ccate")]


def test_spaced_letters_are_caught(scanner: Scanner) -> None:
    assert spans(scanner, "I h a t e wizards") == [("test.hate", "h a t e wizards")]


def test_leetspeak_is_caught(scanner: Scanner) -> None:
    assert spans(scanner, "I h4te lectur3rs") == [("test.hate", "h4te lectur3rs")]


def test_stretched_letters_are_caught(scanner: Scanner) -> None:
    assert spans(scanner, "I haaaaate wizards") == [("test.hate", "haaaaate wizards")]


def test_one_letter_typos_toward_rule_words(scanner: Scanner) -> None:
    assert spans(scanner, "wizards are vermn") == [("test.attribute", "wizards are vermn")]  # a letter missing
    assert spans(scanner, "wizards are wthorless") == []  # two edits away: too far
    assert spans(scanner, "wizards are worhtless") == [("test.attribute", "wizards are worhtless")]  # a swap


def test_real_words_are_never_respelled(scanner: Scanner) -> None:
    # "skill" is one letter from "kill" and "hated" from "hate": English words are left as written.
    assert scanner.explain("the skill of lecturers").respelled == "the skill of lecturers"


def test_words_run_together_are_split(scanner: Scanner) -> None:
    assert spans(scanner, "someone should stabthose wizards") == [("test.threat", "stabthose wizards")]
    assert scanner.explain("my therapist").respelled == "my therapist"


def test_negation_withdraws_a_negatable_rule(scanner: Scanner) -> None:
    assert spans(scanner, "I don't hate wizards") == []
    assert spans(scanner, "Wizards are not disgusting") == []
    assert spans(scanner, "Wizards are not nice. Wizards are vermin") == [("test.attribute", "Wizards are vermin")]


def test_idioms_with_a_negative_word_do_not_negate(scanner: Scanner) -> None:
    # "don't forget", "no doubt", "never stop": the negative word negates nothing in what follows.
    assert spans(scanner, "don't forget I hate wizards") == [("test.hate", "hate wizards")]
    assert spans(scanner, "no doubt I despise wizards") == [("test.hate", "despise wizards")]
    assert spans(scanner, "I never hate wizards") == []


def test_counter_speech_withdraws_breaches_in_its_sentence_only(scanner: Scanner) -> None:
    text = 'I will report posts like "wizards are vermin. truly". Wizards are disgusting.'
    verdict = scanner.scan(text)
    assert [text[m.start:m.end] for m in verdict.matches] == ["Wizards are disgusting"]
    assert any(reason.startswith("counter-speech") for _, reason in verdict.suppressed)
    assert spans(scanner, "Stop calling lecturers vermin.") == []


def test_under18_rules_apply_only_to_an_under18_audience(scanner: Scanner) -> None:
    assert spans(scanner, "bloody hell") == []
    assert spans(scanner, "bloody hell", Audience.UNDER18) == [("test.kids", "bloody")]


def test_welfare_is_not_a_breach(scanner: Scanner) -> None:
    verdict = scanner.scan("honestly i want to disappear")
    assert not verdict.flagged
    assert [m.effect for m in verdict.welfare] == [RuleEffect.WELFARE]


def test_huge_message_is_scanned_in_windows(scanner: Scanner) -> None:
    text = ("lorem ipsum " * 20_000) + "I hate wizards"
    verdict = scanner.scan(text)
    assert [text[m.start:m.end] for m in verdict.matches] == ["hate wizards"]


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pack.yaml").write_text(body, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("pack: p\nrules:\n  - id: a\n    kind: pattern\n    clause: '5.5.1'\n    category: c\n    pattern: '(a'\n",
         "does not compile"),
        ("pack: p\nrules:\n  - id: a\n    kind: pattern\n    clause: '5.5.1'\n    category: c\n    pattern: '(a+)+$'\n",
         "nested quantifiers"),
        ("pack: p\nrules:\n  - id: a\n    kind: terms\n    clause: '9'\n    category: c\n    terms: [x]\n",
         "not a clause id"),
        ("pack: p\nrules:\n  - id: a\n    kind: terms\n    clause: '5.5.1'\n    category: c\n    terms: [x]\n"
         "    colour: red\n", "unknown key"),
        ("pack: p\nrules:\n  - id: a\n    kind: validator\n    clause: '5.5.5'\n    category: c\n"
         "    validator: telepathy\n", "unknown validator"),
        ("pack: p\nrules: [\n", "not valid YAML"),
    ],
)
def test_a_bad_pack_fails_with_file_rule_and_reason(tmp_path: Path, body: str, reason: str) -> None:
    directory = _write(tmp_path, body)
    with pytest.raises(RulePackError) as caught:
        load_rule_set([directory], validator_names=["phone"])
    message = str(caught.value)
    assert str(directory / "pack.yaml") in message
    assert reason in message


def test_a_pattern_that_backtracks_without_nesting_is_rejected_by_its_shape(tmp_path: Path) -> None:
    body = ("pack: p\nrules:\n  - id: slow\n    kind: pattern\n    clause: '5.5.1'\n    category: c\n"
            "    pattern: '(?:a|aa)+$'\n")
    with pytest.raises(RulePackError, match="exponential time"):
        load_rule_set([_write(tmp_path, body)], validator_names=[])


@pytest.mark.timeout(20)  # unguarded, this pattern would backtrack for years on the text below
def test_a_slow_pattern_that_got_past_the_checks_cannot_stall_a_scan(tmp_path: Path) -> None:
    import dataclasses

    import regex

    from bot.detection.scanner import ScannerSettings

    (tmp_path / "machinery.yaml").write_text(PACK, encoding="utf-8")
    rule_set = load_rule_set([tmp_path], validator_names=[])
    honest = next(r for r in rule_set.rules if r.id == "test.hate")
    # Built by hand to skip the loader's checks: exponential backtracking on a run of "a" with no "b".
    slow = dataclasses.replace(honest, id="test.slow", compiled=regex.compile(r"(?:a|aa)+b"), triggers=("hate",))
    rule_set = dataclasses.replace(rule_set, packs=(dataclasses.replace(rule_set.packs[0],
                                                                        rules=(*rule_set.packs[0].rules, slow)),))
    scanner = Scanner(rule_set, ScannerSettings(pattern_timeout=0.05), validators={})
    verdict = scanner.scan("I hate wizards " + "a" * 60)
    assert [m.rule_id for m in verdict.matches] == ["test.hate"]
