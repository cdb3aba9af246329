"""Insults outside a "you are" frame: third person, questions, lists, vocatives, possessives; span = the insult."""

from __future__ import annotations

import pytest

from bot.models import Tier
from tests.detection.harm.helpers import assert_caught

N, R = Tier.NUDGE, Tier.REVIEW


@pytest.mark.parametrize(("text", "tier", "span"), [
    ("honestly ur such a liar", N, "liar"),
    ("shut up you absolute dimwit", N, "dimwit"),
    ("tom is a total tosser, ignore him", N, "tosser"),
    ("my landlord's just a crook", N, "crook"),
    ("those hypocrites on the exec again", N, "hypocrites"),
    ("what a complete buffoon", N, "buffoon"),
    ("a bunch of clueless muppets running the union", R, "clueless"),
    ("the refs were absolute clowns today", N, "clowns"),
    ("some dickhead nicked my bike seat", N, "dickhead"),
    ("cowards like you never sign their names", N, "cowards"),
    ("need a source for that, fool.", N, "fool"),
    ("your stupidity is genuinely impressive", N, "stupidity"),
    ("how thick is this guy honestly", N, "thick"),
    ("stupid tourists blocking the whole pavement", N, "stupid"),
    ("Pathetic. Absolutely pathetic.", R, "Pathetic"),
    ("what kind of moron leaves the oven on", N, "moron"),
])
def test_an_insult_at_a_person_is_caught_with_the_insult_as_its_span(text: str, tier: Tier, span: str) -> None:
    assert_caught(text, tier, span)


@pytest.mark.parametrize(("text", "span"), [
    ("the ignorance on display at that meeting", "ignorance"),
    ("ridiculous, just ridiculous", "ridiculous"),
])
def test_an_insult_word_with_no_clear_target_is_held_for_review(text: str, span: str) -> None:
    assert_caught(text, R, span)
