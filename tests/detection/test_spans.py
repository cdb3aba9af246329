"""Word-level spans: a reported match never cuts a word, and a pattern's `(?P<hit>...)` group is what is reported."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.detection.rules import load_rule_set
from bot.detection.scanner import Scanner, load_default_scanner
from bot.detection.spans import snap_to_words
from bot.models import Audience, ScanContext

SCANNER = load_default_scanner()


def _reported(text: str) -> list[str]:
    return [text[m.start:m.end] for m in SCANNER.scan(text, ScanContext()).matches]


def test_a_freakin_idiot_is_reported_as_whole_words_holding_idiot() -> None:
    text = "What a freakin idiot"
    verdict = SCANNER.scan(text, ScanContext())
    assert verdict.matches
    for match in verdict.matches:
        assert "idiot" in text[match.start:match.end]
        assert match.start == 0 or not text[match.start - 1].isalnum()
        assert match.end == len(text) or not text[match.end].isalnum()


def test_an_insult_reports_the_insulting_word() -> None:
    # Several insult rules may report the same word (a targeted insult and the bare insult word): one span.
    assert set(_reported("honestly you are a moron")) == {"moron"}
    assert set(_reported("such a complete idiot, that one")) == {"idiot"}


def test_a_hit_group_is_reported_and_snapped_out_to_whole_words(tmp_path: Path) -> None:
    (tmp_path / "hit.yaml").write_text(
        "pack: hit\nrules:\n  - id: hit.goblin\n    kind: pattern\n    clause: '5.5.3'\n    category: Goblins\n"
        "    pattern: '\\byou\\s+(?P<hit>gobl)in\\b'\n    triggers: [goblin]\n", encoding="utf-8")
    scanner = Scanner(load_rule_set([tmp_path], validator_names=[]), validators={})
    text = "oi you goblin!"
    [match] = scanner.scan(text, ScanContext()).matches
    assert text[match.start:match.end] == "goblin"


def test_snapping_keeps_masked_words_emoji_and_accents_whole() -> None:
    for text, start, end, want in (("you f*ck off", 4, 5, "f*ck"), ("so naïve", 4, 5, "naïve"),
                                   ("hi 😀 there", 3, 4, "😀"), ("you're dumb!", 7, 9, "dumb"),
                                   ("sh!t happens", 0, 2, "sh!t")):
        begin, finish = snap_to_words(text, start, end)
        assert text[begin:finish] == want


_PIECES = st.sampled_from(["you", "are", "a", "an", "moron", "idiot", "freakin", "what", "such", "pathetic",
                           "hate", "women", "vermin", "f u c k", "sh1t", "f*ck", "!", ",", "😀", "é", "'", "*",
                           "xx", "ing", "s", "ly", "07700 900123", "stupid", "absolute", "waste of space"])
_TEXTS = st.lists(st.tuples(_PIECES, st.sampled_from(["", " ", "  ", "-", "."])), max_size=30).map(
    lambda parts: "".join(piece + sep for piece, sep in parts))


def _inside_word(text: str, position: int) -> bool:
    return 0 < position < len(text) and text[position - 1].isalnum() and text[position].isalnum()


@settings(max_examples=400, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
@given(_TEXTS, st.sampled_from(list(Audience)))
def test_spans_never_cut_a_word(text: str, audience: Audience) -> None:
    verdict = SCANNER.scan(text, ScanContext(audience=audience))
    for match in (*verdict.matches, *verdict.welfare, *verdict.shadow, *(m for m, _ in verdict.suppressed)):
        assert not _inside_word(text, match.start), (text, match)
        assert not _inside_word(text, match.end), (text, match)
