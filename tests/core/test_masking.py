"""Masked excerpts hide the offending words and nothing else, so a committee can read what was said about whom."""

from __future__ import annotations

import re

import pytest

from bot.core import Core
from bot.detection.scanner import Scanner
from bot.nudges import masked_excerpt, primary_match
from tests.core.pipeline import SimClock, message

DIGIT_MASK = "\u2022"

# (message, words that must stay readable, offending words that must not show). All written for these tests.
CASES = [
    pytest.param("is anyone selling mdma before the summer ball", ["anyone", "selling", "before the summer ball"],
                 ["mdma"], id="drugs-offer"),
    pytest.param("Vegans are all terrorists, every one of them", ["Vegans", "are", "all", "every one of them"],
                 ["terrorists"], id="group-stays-visible"),
    pytest.param("honestly you are a complete idiot sometimes", ["honestly", "you", "are", "sometimes"],
                 ["idiot"], id="insult"),
]


@pytest.mark.parametrize("text, readable, hidden", CASES)
async def test_only_the_offending_words_are_masked(core: Core, clock: SimClock, text: str, readable: list[str],
                                                   hidden: list[str]) -> None:
    outcome = await core.moderator.handle(message(clock, text))
    assert outcome.incident_id is not None, f"the scanner should flag {text!r}"
    incident = await core.store.get_incident(outcome.incident_id)
    excerpt = incident.excerpt
    for words in readable:
        assert re.search(rf"(?<!\w){re.escape(words)}(?!\w)", excerpt), (words, excerpt)
    for word in hidden:
        assert word not in excerpt.lower(), (word, excerpt)
        assert f"{word[0]}{'*' * (len(word) - 2)}{word[-1]}" in excerpt, (word, excerpt)
    assert outcome.nudge is not None and outcome.nudge.excerpt == excerpt  # the poster reads the same words


async def test_personal_data_keeps_its_partial_mask(core: Core, clock: SimClock) -> None:
    outcome = await core.moderator.handle(message(clock, "if you find my bag ring Jo on 07700 900461 please"))
    incident = await core.store.get_incident(outcome.incident_id)
    assert f"077{DIGIT_MASK * 2} {DIGIT_MASK * 3}461" in incident.excerpt
    assert "ring Jo on" in incident.excerpt and "900461" not in incident.excerpt


def test_without_the_rules_a_phrase_is_masked_whole(scanner: Scanner) -> None:
    text = "is anyone selling mdma before the summer ball"
    verdict = scanner.scan(text)
    whole = masked_excerpt(text, verdict.matches, primary_match(verdict.matches))
    narrowed = masked_excerpt(text, verdict.matches, primary_match(verdict.matches), rules=scanner.rule_set.rules)
    assert "mdma" not in whole and "mdma" not in narrowed
    assert len(re.findall(r"\*", narrowed)) <= len(re.findall(r"\*", whole))
