"""Harm aimed at a member: bullying, threats and blackmail, self-harm incitement, accusations, sexual harassment."""

from __future__ import annotations

import pytest

from bot.models import Tier
from tests.detection.harm.helpers import assert_caught

N, R = Tier.NUDGE, Tier.REVIEW


@pytest.mark.parametrize(("text", "span"), [
    ("nobody sit with @kim at the formal", "nobody sit with @kim"),
    ("let's all blank him at pres", "let's all blank him"),
    ("who's got the video of dan being sick, stick it in the gc", "who's got the video"),
    ("rate jess's outfit 1-10, i'll start", "rate jess's outfit"),
    ("joe smells like a bin", "joe smells like a bin"),
])
def test_bullying_a_member_is_held_for_review(text: str, span: str) -> None:
    assert_caught(text, R, span)


@pytest.mark.parametrize(("text", "span"), [
    ("you'll end up in hospital if you touch my bike", "end up in hospital"),
    ("i know your timetable, remember that", "i know your timetable"),
    ("£50 by friday or your pics go to everyone", "your pics go to everyone"),
    ("if you report me i'm telling your parents you're gay", "i'm telling your parents you're gay"),
])
def test_threats_and_blackmail_nudge(text: str, span: str) -> None:
    assert_caught(text, N, span)


@pytest.mark.parametrize(("text", "span"), [
    ("go starve yourself a bit more", "go starve yourself a bit more"),
    ("why haven't you hanged yourself yet", "why haven't you hanged yourself"),
    ("do us all a favour and drop dead", "do us all a favour and drop dead"),
])
def test_self_harm_incitement_nudges(text: str, span: str) -> None:
    assert_caught(text, N, span)


def test_spaced_out_kys_is_held_for_review() -> None:
    # The engine lowers a match found only by joining spaced letters to review (bot/detection/judge.py).
    assert_caught("just k y s already", R, "k y s")


@pytest.mark.parametrize(("text", "span"), [
    ("ellie fiddles the society accounts every term", "fiddles the"),
    ("the coach takes bribes for first team places", "takes bribes"),
    ("rob got arrested for shoplifting in town", "arrested for"),
])
def test_accusing_a_named_person_is_held_for_review(text: str, span: str) -> None:
    assert_caught(text, R, span)


@pytest.mark.parametrize(("text", "span"), [
    ("your bum in those joggers tho 🥵", "bum"),
    ("dm me some nudes babe", "nudes"),
    ("get your top off at training", "get your top off"),
    ("you're sharing my bed tonight whether you like it or not", "sharing my bed"),
])
def test_sexual_harassment_of_a_member_nudges(text: str, span: str) -> None:
    assert_caught(text, N, span)
