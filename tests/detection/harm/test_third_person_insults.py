"""An insult said about someone named by their role ("the mayor", "our treasurer") or about a group of people
named by their politics ("dems", "libs") is a nudge on the insult word, as one said to "you" is; the same word
about a thing is at most held for review."""

from __future__ import annotations

import pytest

from bot.models import Tier
from tests.detection.harm.helpers import assert_caught, verdict_of

N = Tier.NUDGE


@pytest.mark.parametrize(("text", "span"), [
    ("tbh the mayor is so ignorant it hurts", "ignorant"),
    ("our treasurer is a complete fraud", "fraud"),
    ("the coach is such a pathetic loser", "pathetic loser"),
    ("the libs are stupid, as usual", "stupid"),
    ("repubs will always be too gullible to notice", "gullible"),
    ("these dems are S T U P I D", "S T U P I D"),   # spaced letters, corroborated by the plain words around them
])
def test_an_insult_about_a_role_or_a_political_group_is_a_nudge_on_the_insult(text: str, span: str) -> None:
    assert_caught(text, N, span)


@pytest.mark.parametrize("text", [
    "the mayor is so kind to the volunteers",
    "this new rota is stupid",
    "our treasurer is brilliant with spreadsheets",
    "the libs won the seat by 300 votes",
])
def test_praise_news_and_insults_of_things_are_not_nudged(text: str) -> None:
    tier, spans = verdict_of(text)
    assert tier is not N, (text, tier, spans)
