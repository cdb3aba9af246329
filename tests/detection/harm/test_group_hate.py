"""Group contempt: stereotypes per characteristic, exclusion, conspiracy tropes, dehumanisation and violence."""

from __future__ import annotations

import pytest

from bot.models import Tier
from tests.detection.harm.helpers import assert_caught

N, R = Tier.NUDGE, Tier.REVIEW


@pytest.mark.parametrize(("text", "span"), [
    ("girls just aren't built for physics tbh", "aren't built for"),                 # sex
    ("trans women are just blokes in wigs lol", "blokes in wigs"),               # gender identity
    ("being non-binary is just a phase, they'll grow out of it", "just a phase"),      # gender identity
    ("the polish lads can't drive for toffee", "can't drive"),                            # nationality
    ("typical nigerians", "typical"),                                         # nationality
    ("people with adhd are lazy, simple as", "lazy"),                            # disability
    ("autistic people can't do teamwork", "can't do teamwork"),  # neurodivergence
    ("bi people can never make up their minds", "make up their minds"),  # sexual orientation
    ("christians are brainwashed sheep", "brainwashed sheep"),                   # religion
    ("old people are past it, they can't keep up", "past it"),                   # age
])
def test_a_stereotype_about_a_group_is_held_for_review(text: str, span: str) -> None:
    assert_caught(text, R, span)


@pytest.mark.parametrize(("text", "span"), [
    ("no girls on the darts team this year", "girls"),
    ("keep the deaf lad off the quiz squad", "deaf lad"),
    ("we don't want a muslim in the flat", "muslim"),
    ("catholics can find another society", "catholics"),
    ("lads only on the five-a-side", "lads only"),
])
def test_excluding_a_group_is_held_for_review(text: str, span: str) -> None:
    assert_caught(text, R, span)


@pytest.mark.parametrize(("text", "span"), [
    ("the jews control the banks", "control the banks"),
    ("muslims are infiltrating the council bit by bit", "infiltrating"),
    ("the great replacement is happening, wake up", "great replacement"),
])
def test_a_conspiracy_trope_is_held_for_review(text: str, span: str) -> None:
    assert_caught(text, R, span)


@pytest.mark.parametrize(("text", "span"), [
    ("refugees are vermin", "vermin"),
    ("an infestation of foreigners round here", "infestation"),
    ("let's go batter some gay lads after the social", "batter"),
    ("someone should torch that mosque", "torch"),
    ("the only good jew is a dead one", "jew"),
])
def test_dehumanisation_and_violence_against_a_group_nudge(text: str, span: str) -> None:
    assert_caught(text, N, span)
