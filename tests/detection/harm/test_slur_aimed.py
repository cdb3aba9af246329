"""A slur spelt in spaced letters or run into the next word rests on weaker evidence and is held for review on
its own; in a frame that aims it at someone ("you're nothing but a ...", "typical ...", "too many ... in this
country") the frame's plain words corroborate it and it is a nudge, reported on the slur's original letters."""

from __future__ import annotations

import pytest

from bot.models import Tier
from tests.detection.harm.helpers import assert_caught, assert_left_alone

N, R = Tier.NUDGE, Tier.REVIEW


@pytest.mark.parametrize(("text", "span"), [
    ("ur nothing but a s l a g", "s l a g"),                                    # sex, spaced letters
    ("honestly you're just a r e t a r d", "r e t a r d"),                      # disability, spaced letters
    ("typical w o g attitude from him", "w o g"),                                # race, spaced letters
    ("far too many p a k i s round here", "p a k i s"),                         # race, spaced plural
    ("typical dykebehaviour", "dykebehaviour"),                                  # orientation, run together
    ("too manytrannies in the changing rooms", "manytrannies"),                 # gender identity, run together
    ("all these muzzies in our halls", "muzzies"),                               # religion, plain
])
def test_a_slur_in_an_aiming_frame_is_a_nudge_on_the_slur(text: str, span: str) -> None:
    assert_caught(text, N, span)


def test_a_spaced_slur_with_no_frame_is_still_only_held_for_review() -> None:
    assert_caught("w o g", R, "w o g")


@pytest.mark.parametrize("text", [
    "popping out for a fag, anyone want one?",
    "bought a pack of fags and a lighter",
    "we dyked the field to stop the flooding",
    "typical british weather, too many clouds",
    "we're queers and proud of it",
])
def test_everyday_senses_and_frames_without_a_slur_are_left_alone(text: str) -> None:
    assert_left_alone(text)
