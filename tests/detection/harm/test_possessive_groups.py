"""A group word in the possessive ("women's", "a muslim's", "gay people's") is still the group: it satisfies
the `{group_noun}` / `{group_adj} {person_noun}` triggers, so the hate patterns run on it."""

from __future__ import annotations

import pytest

from bot.detection.packtext import expand_triggers
from bot.models import Tier
from tests.detection.harm.helpers import assert_caught, assert_left_alone

N = Tier.NUDGE


def test_a_trigger_ending_in_a_lexicon_word_also_fires_on_its_possessive() -> None:
    lexicons = {"noun": ("women", "a muslim"), "adj": ("gay",), "person": ("people",)}
    triggers = expand_triggers(["{noun}", "{adj} {person}", "hate {noun}", "plain"], lexicons, "test.yaml", "r")
    assert {"women's", "a muslim's", "gay people's", "hate women's"} <= set(triggers)
    assert "gay's people" not in triggers  # only the trigger's last word takes the possessive
    assert "plain's" not in triggers  # a literal trigger word is left as written


@pytest.mark.parametrize(("text", "span"), [
    ("a woman's brain is inferior, always will be", "inferior"),              # sex
    ("tbh women's opinions are worthless", "worthless"),                        # sex, plural possessive
    ("i hate women's guts", "i hate women's"),                                    # sex, a feeling
    ("a muslim's word is worthless", "worthless"),                             # religion
    ("a trans person's word is worthless", "worthless"),                       # gender identity
    ("old people's opinions are worthless", "worthless"),                      # age
    ("black people's music is trash", "trash"),                                  # race
    ("hindus' festivals are disgusting", "disgusting"),                        # religion, plural apostrophe
])
def test_contempt_about_a_possessive_group_word_is_a_nudge(text: str, span: str) -> None:
    assert_caught(text, N, span)


@pytest.mark.parametrize("text", [
    "women's football is brilliant this season",
    "the muslims' charity bake sale raised 300 quid",
    "my gran's pension is late again",
    "gay people's history month starts on monday",
])
def test_a_neutral_possessive_group_word_is_left_alone(text: str) -> None:
    assert_left_alone(text)
