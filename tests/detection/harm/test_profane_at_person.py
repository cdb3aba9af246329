"""Swearing aimed at someone is an insult of that person, reported on the swearing; swearing at nobody, at
oneself, among friends, or in a report of what someone was told is left alone. Insults said of a third person
outside a "you are" frame ("the dumbest voters", "how gullible they are") are nudges on the insult word."""

from __future__ import annotations

import pytest

from bot.models import Tier
from tests.detection.harm.helpers import assert_caught, assert_left_alone, verdict_of

N = Tier.NUDGE


@pytest.mark.parametrize(("text", "span"), [
    ("Fuck you, Dave, honestly", "Fuck you"),
    ("nobody asked. fuck off", "fuck off"),
    ("why don't you go fuck yourself", "fuck yourself"),
    ("shut the fuck up and sit down", "fuck"),
    ("your so full of shit about the budget", "shit"),
    ("kiss my ass, i'm not paying that", "ass"),
    ("she talks out of her arse every single meeting", "arse"),
])
def test_swearing_aimed_at_someone_is_a_nudge_on_the_swearing(text: str, span: str) -> None:
    assert_caught(text, N, span)


@pytest.mark.parametrize("text", [
    "fuck, the bus is late again",
    "he told me to fuck off so i left",
    "i was told to go fuck myself, charming",
    "can't get the dog to shut the fuck up",
    "fuck off mate lol see you at five-a-side",
    "fuck this coursework",
])
def test_swearing_at_nobody_reported_or_among_friends_is_left_alone(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize(("text", "span"), [
    ("honestly the dumbest voters in the whole county", "dumbest"),
    ("their stupider son is running the bar now", "stupider"),
    ("it's wild how gullible his followers really are", "gullible"),
    ("never realised how thick that bloke is", "thick"),
])
def test_an_insult_said_of_a_third_person_outside_a_you_are_frame_is_a_nudge(text: str, span: str) -> None:
    assert_caught(text, N, span)


@pytest.mark.parametrize("text", [
    "how stupid this timetable is",
    "the dumbest idea i've had all week",
])
def test_the_same_words_about_a_thing_are_not_a_nudge(text: str) -> None:
    tier, spans = verdict_of(text)
    assert tier is not N, (text, tier, spans)
