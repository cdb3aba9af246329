"""Property tests: for any Unicode input the scanner never raises, stops in bounded time, and every span
lies inside the original text; hostile generators cover combining-mark floods, every confusable the normaliser
folds, zero-width and direction-mark floods, and huge inputs (few examples: each costs up to a second)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.detection.normalize import _homoglyph_table, normalize
from bot.detection.scanner import load_default_scanner
from bot.models import Audience, ScanContext

# Hostile ingredients: look-alikes, zero-width and direction marks, combining-mark floods, leet, separators.
_HOSTILE = st.sampled_from(list(
    "\u0430\u0435\u043e\u0440\u0441\u0445\u0455\u0456\u03b1\u03bf\u03c1\u200b\u200c\u200d\u2060\ufeff\u202e"
    "\u0301\u0334\u0336\u0337\u0489\uff41\U0001d41a4301$@!|5 .-_*\n\t\u00a0\u3000\U0001f600\u00df\ufb01\u0130"
))
_WORDS = st.sampled_from(["hate", "kill", "you", "women", "f u c k", "07700 900123", "@", "sh1t", "people",
                          "are", "not", "\"", "LE1 7RH", "4111 1111 1111 1111", "vermin", "'"])
SCANNER = load_default_scanner()  # built once, before any timed example

MESSAGES = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(_HOSTILE, _WORDS, st.text(max_size=3)), max_size=120).map("".join),
    st.builds(lambda c, n: c * n, st.text(min_size=1, max_size=2), st.integers(1, 3000)),
)


@settings(max_examples=400, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES, st.sampled_from(list(Audience)))
def test_scan_never_raises_and_spans_stay_inside(text: str, audience: Audience) -> None:
    verdict = SCANNER.scan(text, ScanContext(audience=audience))
    for match in (*verdict.matches, *verdict.welfare, *(m for m, _ in verdict.suppressed)):
        assert 0 <= match.start < match.end <= len(text)
        assert 0.0 <= match.confidence <= 1.0


@settings(max_examples=400, deadline=timedelta(seconds=1))
@given(MESSAGES)
def test_every_folded_position_maps_inside_the_original(text: str) -> None:
    norm = normalize(text)
    for start in range(0, len(norm.text), max(1, len(norm.text) // 20)):
        begin, end = norm.to_original(start, start + 1)
        assert 0 <= begin <= end <= len(text)


_MARKS = st.sampled_from([chr(c) for c in range(0x300, 0x370)] + ["\u0489", "\u20dd", "\u1ab0", "\ufe20"])
_CONFUSABLES = st.sampled_from(sorted(_homoglyph_table()))  # every look-alike the normaliser folds
_INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e", "\u202d",
                              "\u2066", "\u2067", "\u2069", "\u200f", "\u061c"])
_BASE = st.one_of(_WORDS, st.characters(codec="utf-8"), _CONFUSABLES)


def _flooded(base: str, marks: list[str]) -> str:
    return "".join(ch + "".join(marks) for ch in base)


HOSTILE = st.one_of(
    st.builds(_flooded, _WORDS, st.lists(_MARKS, min_size=1, max_size=300)),  # combining-mark floods
    st.lists(st.one_of(_CONFUSABLES, _WORDS, st.just(" ")), max_size=200).map("".join),  # look-alike spellings
    st.lists(st.one_of(_INVISIBLE, _WORDS), min_size=1, max_size=300).map("".join),  # zero-width / RTL floods
    st.builds(lambda ws, mark: mark.join(ws), st.lists(_WORDS, min_size=1, max_size=20), _INVISIBLE),
    st.text(alphabet=st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, codec="utf-8"), max_size=200),
)
HUGE = st.builds(lambda piece, n: (piece * (n // max(1, len(piece)) + 1))[:n],
                 st.lists(_BASE, min_size=1, max_size=8).map("".join), st.integers(50_000, 300_000))


def _check(text: str, audience: Audience) -> None:
    verdict = SCANNER.scan(text, ScanContext(audience=audience))
    for match in (*verdict.matches, *verdict.welfare, *(m for m, _ in verdict.suppressed)):
        assert 0 <= match.start < match.end <= len(text)
    norm = normalize(text)
    for start in range(0, len(norm.text), max(1, len(norm.text) // 20)):
        begin, end = norm.to_original(start, start + 1)
        assert 0 <= begin <= end <= len(text)


@settings(max_examples=300, deadline=timedelta(seconds=2), suppress_health_check=[HealthCheck.too_slow])
@given(HOSTILE, st.sampled_from(list(Audience)))
def test_hostile_unicode_never_raises_and_spans_stay_inside(text: str, audience: Audience) -> None:
    _check(text, audience)


@settings(max_examples=8, deadline=timedelta(seconds=10),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(HUGE, st.sampled_from(list(Audience)))
def test_huge_hostile_messages_never_raise_and_spans_stay_inside(text: str, audience: Audience) -> None:
    _check(text, audience)


def test_every_confusable_folds_to_a_latin_letter_with_spans_inside() -> None:
    table = _homoglyph_table()
    assert all(value.isascii() and value.isalpha() for value in table.values())
    text = " ".join(table)
    norm = normalize(text)
    for index in range(len(norm.text)):
        begin, end = norm.to_original(index, index + 1)
        assert 0 <= begin < end <= len(text)
    _check(text, Audience.GENERAL)
