"""Insult spans are the words a reader marks: the insult noun with the insulting adjectives just before it, on the
original characters; never the target, the verb or intensifiers such as "complete"."""

from __future__ import annotations

from bot.detection.scanner import load_default_scanner
from bot.models import ScanContext, Verdict

SCANNER = load_default_scanner()


def _scan(text: str) -> Verdict:
    return SCANNER.scan(text, ScanContext())


def _nudged_spans(text: str) -> set[str]:
    verdict = _scan(text)
    assert verdict.flagged, f"expected a nudge for {text!r}"
    return {text[m.start:m.end] for m in verdict.matches}


def test_the_insulting_adjectives_before_an_insult_noun_join_its_span_with_the_original_case_and_commas() -> None:
    text = "Honestly YOU are a Lying, Cowardly HYPOCRITE!!"
    spans = _nudged_spans(text)
    assert "Lying, Cowardly HYPOCRITE" in spans
    assert not any("YOU" in span or span.startswith("a ") for span in spans)


def test_uneven_spacing_inside_the_insult_is_kept_as_written() -> None:
    text = "The Treasurer is a  bitter,   sad loser."
    assert "bitter,   sad loser" in _nudged_spans(text)


def test_stretched_letters_are_reported_as_written() -> None:
    assert "ignorant looooser" in _nudged_spans("hey ignorant looooser")


def test_intensifiers_and_the_group_stay_outside_the_span() -> None:
    spans = _nudged_spans("the committee are useless idiots")
    assert "useless idiots" in spans
    assert not any("committee" in span or "are" in span.split() for span in spans)
    assert _nudged_spans("you are such a complete moron") == {"moron"}


def test_an_insult_in_a_question_or_a_vocative_is_a_nudge_on_the_insult_word() -> None:
    assert _nudged_spans("Is he REALLY this gullible?") == {"gullible"}
    assert "ignorant loser" in _nudged_spans("hey ignorant loser, read the rules")
    assert "clown" in _nudged_spans("get back to work, clown")


def test_you_are_spelt_your_is_still_aimed_at_someone() -> None:
    assert _nudged_spans("your so thick m8") == {"thick"}
    assert _nudged_spans("go to bed, your delusional") == {"delusional"}


def test_a_group_insult_reports_the_insult_not_the_clause() -> None:
    text = "honestly landlords are vermin"
    spans = _nudged_spans(text)
    assert spans == {"vermin"}


def test_self_directed_teasing_and_things_are_not_nudged() -> None:
    for text in ("i was stupid enough to leave my charger at home", "your stupid printer jammed again",
                 "oi sam stop being a drama queen and come to the social", "the new timetable is a stupid one",
                 "this kettle is as useless as ever"):
        assert not _scan(text).flagged, text


def test_words_that_only_say_how_someone_talks_or_moves_stay_outside_the_span_like_intensifiers() -> None:
    assert _nudged_spans("the chair is a Blithering idiot") >= {"idiot"}
    assert not any("Blithering" in span for span in _nudged_spans("the chair is a Blithering idiot"))
    assert "coward" in _nudged_spans("what a bumbling, snivelling coward")
    assert not any("whiny" in span for span in _nudged_spans("our captain is a whiny jerk"))
