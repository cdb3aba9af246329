"""Masked-letter matching (bot.detection.masked): slurs and insults with symbols, digits or emoji for letters."""

from __future__ import annotations

import pytest

from bot.detection.masked import MaskedLexicon

LISTED = ["faggot", "bitch", "paki", "kike", "dyke", "idiot", "moron", "twat", "fuck", "cunt", "slag"]
ENGLISH = ["duke", "dike", "twit", "that", "shot", "shut", "bench", "batch", "pack", "idiom", "mourn", "slug",
           "slog", "stag", "fork", "funk"]


@pytest.fixture(scope="module")
def lexicon() -> MaskedLexicon:
    return MaskedLexicon(LISTED, ENGLISH)


@pytest.mark.parametrize(("text", "word", "masked"), [
    ("shut up you f*ggot", "faggot", "f*ggot"),
    ("what a b#tch honestly", "bitch", "b#tch"),
    ("typical p%ki behaviour", "paki", "p%ki"),
    ("look at that f🌈ggot", "faggot", "f🌈ggot"),
    ("you absolute m0r*n", "moron", "m0r*n"),
    ("such a tw@t lol", "twat", "tw@t"),
    ("the k**e again", "kike", "k**e"),
])
def test_a_masked_word_is_found_with_its_span_on_the_original(lexicon: MaskedLexicon, text: str, word: str,
                                                               masked: str) -> None:
    hits = lexicon.find(text)
    assert [h.word for h in hits] == [word]
    assert text[hits[0].start:hits[0].end] == masked


def test_a_reading_that_is_also_an_english_word_is_ambiguous(lexicon: MaskedLexicon) -> None:
    (hit,) = lexicon.find("she is a d*ke")
    assert hit.word == "dyke"
    assert not hit.unambiguous  # "duke" and "dike" fit the same shape


def test_a_reading_only_a_listed_word_fits_is_unambiguous(lexicon: MaskedLexicon) -> None:
    (hit,) = lexicon.find("shut up you f*ggot")
    assert hit.unambiguous


@pytest.mark.parametrize("text", [
    "*sigh* see you at 7",          # markup at the edges of a word
    "#blessed #uni",                 # hashtags
    "@sam are you coming",           # a mention
    "room 2.14 at 10:30",            # times and rooms
    "c# and f# are both keys",       # too few letters
    "email jo@uni.ac.uk",            # an address
    "that's £5 each",                # a price
    "the q&a is at 6",               # an ampersand between two letters
])
def test_ordinary_symbols_are_not_masks(lexicon: MaskedLexicon, text: str) -> None:
    assert lexicon.find(text) == []


def test_one_asterisk_does_not_split_a_word_into_a_match_for_its_half(lexicon: MaskedLexicon) -> None:
    # "b*tch" must be read as one word, never as "b" and "tch"; "sl*g" as one word, not "sl" and "g".
    assert [h.word for h in lexicon.find("b*tch")] == ["bitch"]
    assert [(h.word, h.unambiguous) for h in lexicon.find("sl*g")] == [("slag", False)]


def test_the_hint_is_false_for_plain_chat() -> None:
    assert not MaskedLexicon.hinted("see you at the social tonight, bring snacks")
    assert MaskedLexicon.hinted("you f*ggot")
