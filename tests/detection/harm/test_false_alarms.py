"""What must be left alone (no nudge, no review): every false-alarm family, in our own words."""

from __future__ import annotations

import pytest

from tests.detection.harm.helpers import assert_left_alone


@pytest.mark.parametrize("text", [
    "i'm such an idiot, locked myself out again",
    "me being a moron as usual 🤡",
    "i'm so thick sometimes lol",
    "honestly i'm the worst captain ever",
])
def test_self_deprecation(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "shut up you muppet lol",
    "you daft sod, it's tomorrow",
    "you're all absolute clowns and i love it 🤡",
    "i'll kill you if you're late again lol",
])
def test_friendly_banter(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "you're dead meat in smash tonight",
    "we'll batter you lot at netball on saturday",
    "fifa rematch, i'm going to murder you",
    "prepare to be annihilated at the pub quiz",
])
def test_game_and_sport_trash_talk(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "someone wrote 'dykes out' on our poster, it's been reported",
    "posting 'all migrants are criminals' isn't free speech, it's been removed",
    "saying 'kys' to anyone gets you banned here",
])
def test_counter_speech_that_quotes_abuse(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "as a queer woman this is the first society i've felt at home in",
    "my fellow queers, movie night on friday 🏳️‍🌈",
    "we're a bunch of queer nerds and proud",
])
def test_reclaimed_in_group_use(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "popping out for a fag, back in five",
    "faggots and mash for tea tonight",
    "bloody hell the bus is late again",
    "walked Offa's Dyke path at the weekend",
])
def test_british_senses(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "please don't ever hurt yourself over exams, talk to us",
    "if you ever feel like ending it, samaritans are on 116 123",
])
def test_supportive_messages(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "the report says hate crime against muslims rose 20% last year",
    "the conspiracy theory that jews control the media is antisemitic nonsense",
    "it's a myth that girls can't do maths, the data shows it",
])
def test_statistics_news_and_policy(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "scunthorpe away day, coach leaves at 9",
    "cocktail night at the union, assassin's creed tournament after",
    "my therapist says hi",
    "the analysis is due friday",
])
def test_rude_substrings(text: str) -> None:
    assert_left_alone(text)


@pytest.mark.parametrize("text", [
    "happy diwali to all our hindu members!",
    "the muslim students are running the iftar, everyone welcome",
    "trans women are women, see you at pride",
    "our deaf members made the bsl video, it's brilliant",
])
def test_protected_groups_welcomed(text: str) -> None:
    assert_left_alone(text)
