"""Property tests: for any Unicode input the scanner never raises, stops in bounded time, and every span
lies inside the original text."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Audience, ScanContext
from bot.normalize import normalize
from bot.scanner import load_default_scanner

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
