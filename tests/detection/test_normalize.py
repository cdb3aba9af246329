"""Each folding feature alone: the folded text is right and every span leads back to the original characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.detection.normalize import _LEET_HINT, _LEET_SHAPE, _SPACED, _SPACED_HINT, fold_plain, normalize


def _original_of(text: str, folded_word: str) -> str:
    """The original characters behind the first occurrence of `folded_word` in the folded text."""
    norm = normalize(text)
    at = norm.text.index(folded_word)
    start, end = norm.to_original(at, at + len(folded_word))
    return text[start:end]


@pytest.mark.parametrize(
    ("text", "word", "original"),
    [
        ("you absolute \u0455\u0445\u0456t", "sxit", "\u0455\u0445\u0456t"),  # Cyrillic look-alikes
        ("\u03b1\u03c1\u03b5 you ok", "ape", "\u03b1\u03c1\u03b5"),  # Greek look-alikes
        ("what a \uff4a\uff45\uff52\uff4b", "jerk", "\uff4a\uff45\uff52\uff4b"),  # fullwidth
        ("total \U0001d41f\U0001d42e\U0001d41c\U0001d424 up", "fuck", "\U0001d41f\U0001d42e\U0001d41c\U0001d424"),
        ("sh\u200bi\u200dt happens", "shit", "sh\u200bi\u200dt"),  # zero-width joiners inside
        ("well f u c k that", "fuck", "f u c k"),  # spaced letters
        ("well f.u.c.k that", "fuck", "f.u.c.k"),  # dotted letters
        ("b-i-t-c-h please", "bitch", "b-i-t-c-h"),
        ("I h4te it", "hate", "h4te"),  # leetspeak
        ("$h1t", "shit", "$h1t"),
        ("it was sooooo bad", "soo", "sooooo"),  # stretched letters keep two
        ("caf\u00e9 cr\u00e8me", "cafe", "caf\u00e9"),  # accents
        ("Z\u0334\u0322a\u0336l\u0337g\u0335o text", "zalgo", "Z\u0334\u0322a\u0336l\u0337g\u0335o"),  # mark floods
        ("\ufb01ne by me", "fine", "\ufb01ne"),  # a ligature: two letters from one character
    ],
)
def test_folding_maps_back_to_the_original(text: str, word: str, original: str) -> None:
    assert word in normalize(text).text
    assert _original_of(text, word) == original


def test_plain_ascii_is_only_lowercased_and_positions_are_kept() -> None:
    norm = normalize("Meet at the Union at 7pm, room 2.05")
    assert norm.text == "meet at the union at 7pm, room 2.05"
    assert norm.to_original(8, 17) == (8, 17)


@pytest.mark.parametrize("text", ["meet at 10am", "the 2nd floor", "3.11.7", "room G.23", "£12.50", "mp3 files"])
def test_times_ordinals_and_versions_are_not_leetspeak(text: str) -> None:
    assert normalize(text).text == text.lower()


def test_ordinary_words_with_double_letters_are_untouched() -> None:
    assert normalize("good call, see you all soon").text == "good call, see you all soon"


def test_a_normal_sentence_with_single_letter_words_is_not_joined() -> None:
    assert normalize("I am a fan").text == "i am a fan"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="abcxyzABZ0123456789$@!|+ .,:'-_*~/\\\u00e9\u0430", max_size=30))
def test_the_cheap_hints_never_miss_what_the_exact_tests_find(text: str) -> None:
    """The hints only decide whether the exact leetspeak and spaced-letter tests run: they must never be
    stricter than them, or evasions would slip through unfolded."""
    folded = text.lower()
    if _LEET_SHAPE.search(folded):
        assert _LEET_HINT.search(folded)
    if _SPACED.search(folded):
        assert _SPACED_HINT.search(folded)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(alphabet="abcHATE 4$1!.-\u0430\u200b\u00e9\U0001f600'", max_size=40)))
def test_the_scanners_fast_fold_agrees_with_normalize(text: str) -> None:
    """`fold_plain` is the scanner's shortcut: when it answers, it must be exactly what `normalize` gives."""
    folded = fold_plain(text)
    full = normalize(text, squeeze_stretched=False)
    if folded is not None:
        assert folded == full.text
        assert full.to_original(0, len(folded)) == (0, len(text))
