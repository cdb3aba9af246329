"""Masked letters in the scanner: symbols, digits and emoji for letters of slurs, spans on the original text."""

from __future__ import annotations

import pytest

from bot.models import Tier
from tests.detection.harm.helpers import assert_caught, assert_left_alone

N, R = Tier.NUDGE, Tier.REVIEW


@pytest.mark.parametrize(("text", "tier", "span"), [
    ("get lost you f*ggot", N, "f*ggot"),
    ("typical p%ki nonsense", N, "p%ki"),
    ("that f🌈ggot in my flat", N, "f🌈ggot"),
    ("the k#ke next door", N, "k#ke"),
    ("she's a d*ke obviously", R, "d*ke"),  # "duke" fits the shape too: held for review
])
def test_a_masked_slur_is_caught_on_the_original_characters(text: str, tier: Tier, span: str) -> None:
    assert_caught(text, tier, span)


@pytest.mark.parametrize("text", [
    "the word 'p*ki' is a slur, please don't use it",
    "if anyone calls you a 'f*ggot' tell the committee",
    "*sigh* see you at 7 #tired",
    "c# and f# both count as keys",
])
def test_quoted_masked_words_and_ordinary_symbols_are_left_alone(text: str) -> None:
    assert_left_alone(text)
